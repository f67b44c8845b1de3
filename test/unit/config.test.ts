import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';

const production = {
  NODE_ENV: 'production',
  GATEHOUSE_ISSUER: 'https://id.example.com',
  DATABASE_URL: 'postgres://db/gatehouse',
  REDIS_URL: 'redis://cache:6379',
  GATEHOUSE_KEY_ENCRYPTION_SECRET: randomBytes(32).toString('base64url'),
  GATEHOUSE_COOKIE_KEYS: randomBytes(32).toString('base64url'),
};

test('production starts with an https issuer, both stores and every secret', () => {
  const config = loadConfig(production);
  assert.equal(config.production, true);
  assert.equal(config.storage.kind, 'services');
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.ttl), 'config is frozen');
});

for (const [name, change, message] of [
  ['an http issuer', { GATEHOUSE_ISSUER: 'http://id.example.com' }, /https/],
  ['a missing key-encryption secret', { GATEHOUSE_KEY_ENCRYPTION_SECRET: undefined }, /GATEHOUSE_KEY_ENCRYPTION_SECRET/],
  ['a short key-encryption secret', { GATEHOUSE_KEY_ENCRYPTION_SECRET: 'c2hvcnQ' }, /32 random bytes/],
  ['missing cookie keys', { GATEHOUSE_COOKIE_KEYS: undefined }, /GATEHOUSE_COOKIE_KEYS/],
  ['weak cookie keys', { GATEHOUSE_COOKIE_KEYS: 'short' }, /at least 32/],
  ['no database', { DATABASE_URL: undefined, REDIS_URL: undefined }, /DATABASE_URL/],
  ['argon2 below OWASP', { GATEHOUSE_PASSWORD_MEMORY_KIB: '4096' }, /OWASP/],
  ['a 1024-bit RSA key size', { GATEHOUSE_RSA_MODULUS_LENGTH: '1024' }, /2048, 3072 or 4096/],
  ['a key-encryption secret of 32 zero bytes', { GATEHOUSE_KEY_ENCRYPTION_SECRET: Buffer.alloc(32).toString('base64') }, /^GATEHOUSE_KEY_ENCRYPTION_SECRET is guessable: it is one byte repeated/],
  ['a key-encryption secret that is typed text', { GATEHOUSE_KEY_ENCRYPTION_SECRET: Buffer.from('this is exactly thirty-two bytes').toString('base64url') }, /^GATEHOUSE_KEY_ENCRYPTION_SECRET is guessable: it is typed text/],
  ['cookie keys of one repeated character', { GATEHOUSE_COOKIE_KEYS: 'a'.repeat(40) }, /^GATEHOUSE_COOKIE_KEYS: key 1 of 1 is guessable: it is one character repeated/],
  ['a weak second cookie key', { GATEHOUSE_COOKIE_KEYS: `${randomBytes(32).toString('hex')},${'0123456789'.repeat(4)}` }, /^GATEHOUSE_COOKIE_KEYS: key 2 of 2 is guessable: it repeats a short pattern/],
] as const) {
  test(`production refuses ${name}`, () => {
    assert.throws(() => loadConfig({ ...production, ...change }), (error: unknown) => error instanceof ConfigError && message.test(error.message));
  });
}

test('the defaults are the documented lifetimes', () => {
  const config = loadConfig({});
  assert.deepEqual(
    { at: config.ttl.accessToken, rt: config.ttl.refreshToken, code: config.ttl.authorizationCode, id: config.ttl.idToken },
    { at: 900, rt: 604_800, code: 60, id: 3600 },
  );
  assert.equal(config.refreshGraceSeconds, 10);
  assert.equal(config.pkceRequired, 'all');
  assert.equal(config.storage.kind, 'embedded');
});

test('DATABASE_URL without REDIS_URL is a configuration error, not a half-embedded server', () => {
  assert.throws(() => loadConfig({ DATABASE_URL: 'postgres://x/y' }), /go together/);
});

test('the server process exits 1 with one clear line on a production misconfiguration', () => {
  const result = spawnSync(process.execPath, [join(import.meta.dirname, '..', '..', 'src', 'main.ts')], {
    env: { PATH: process.env.PATH, ...production, GATEHOUSE_ISSUER: 'http://id.example.com' },
    encoding: 'utf8',
    timeout: 120_000, // generous: a busy machine (CI beside other work) takes long to load the code
  });
  assert.equal(result.status, 1);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0]!, /^gatehouse: configuration error: GATEHOUSE_ISSUER must be an https:\/\/ URL/);
});

test('guessable secrets are refused in production only; development and tests may use any value of the right length', () => {
  const weak = { GATEHOUSE_KEY_ENCRYPTION_SECRET: Buffer.alloc(32).toString('base64'), GATEHOUSE_COOKIE_KEYS: 'x'.repeat(32) };
  assert.throws(() => loadConfig({ ...production, ...weak }), /guessable/);
  assert.equal(loadConfig({ ...weak, NODE_ENV: 'test' }).cookieKeys?.[0], 'x'.repeat(32));
});

for (const [name, change, message] of [
  ['a key-encryption secret of 32 zero bytes', { GATEHOUSE_KEY_ENCRYPTION_SECRET: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' }, /^gatehouse: configuration error: GATEHOUSE_KEY_ENCRYPTION_SECRET is guessable: it is one byte repeated; generate one with: openssl rand -base64 32$/],
  ['cookie keys of 40 × "a"', { GATEHOUSE_COOKIE_KEYS: 'a'.repeat(40) }, /^gatehouse: configuration error: GATEHOUSE_COOKIE_KEYS: key 1 of 1 is guessable: it is one character repeated; generate keys with: openssl rand -hex 32$/],
] as const) {
  test(`the server process in production refuses ${name} with one line naming the variable, and never prints the value`, () => {
    const result = spawnSync(process.execPath, [join(import.meta.dirname, '..', '..', 'src', 'main.ts')], {
      env: { PATH: process.env.PATH, ...production, ...change },
      encoding: 'utf8',
      timeout: 120_000, // generous: a busy machine (CI beside other work) takes long to load the code
    });
    assert.equal(result.status, 1, result.stderr);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, message);
    for (const value of Object.values(change)) assert.ok(!result.stderr.includes(value) && !result.stdout.includes(value), 'the secret is not printed');
  });
}

test('access-token claims default to roles, groups and org_id; a PII claim is refused at start, naming the variable and the claim', () => {
  assert.deepEqual(loadConfig({}).accessTokenClaims, ['roles', 'groups', 'org_id']);
  assert.deepEqual(loadConfig({ GATEHOUSE_ACCESS_TOKEN_CLAIMS: 'roles, roles' }).accessTokenClaims, ['roles']);
  for (const pii of ['email', 'name', 'phone_number', 'address', 'given_name', 'email_verified']) {
    assert.throws(
      () => loadConfig({ GATEHOUSE_ACCESS_TOKEN_CLAIMS: `roles,${pii}` }),
      (error: unknown) =>
        error instanceof ConfigError && error.message.includes('GATEHOUSE_ACCESS_TOKEN_CLAIMS') && error.message.includes(` ${pii}:`),
    );
  }
  assert.throws(() => loadConfig({ GATEHOUSE_ACCESS_TOKEN_CLAIMS: 'tenant_color' }), /unknown claim tenant_color/);
});

test('dynamic client registration: off by default; trusted statement issuers are validated at start', () => {
  const defaults = loadConfig({});
  assert.equal(defaults.dcr.enabled, false);
  assert.equal(defaults.dcr.unusedClientTtl, 90 * 86_400);
  const configured = loadConfig({
    GATEHOUSE_DCR_ENABLED: 'true',
    GATEHOUSE_DCR_SOFTWARE_STATEMENT_ISSUERS: JSON.stringify({ 'https://a.example': 'https://a.example/jwks.json', 'https://b.example': { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] } }),
  });
  assert.equal(Object.keys(configured.dcr.softwareStatementIssuers).length, 2);
  for (const [value, message] of [
    ['not json', /GATEHOUSE_DCR_SOFTWARE_STATEMENT_ISSUERS.*JSON/],
    ['{"https://a.example": "not a url"}', /GATEHOUSE_DCR_SOFTWARE_STATEMENT_ISSUERS/],
    ['{"https://a.example": {"keys": [{"kty": "EC", "d": "secret"}]}}', /public keys only/],
  ] as const) {
    assert.throws(() => loadConfig({ GATEHOUSE_DCR_SOFTWARE_STATEMENT_ISSUERS: value }), (error: Error) => error instanceof ConfigError && message.test(error.message));
  }
  assert.throws(() => loadConfig({ GATEHOUSE_DCR_REQUIRE_SOFTWARE_STATEMENT: 'true' }), /needs at least one issuer/);
});
