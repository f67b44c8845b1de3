import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { AccessTokenError, createAccessTokenVerifier } from 'gatehouse/verify';
import { decodeProtectedHeader } from 'jose';
import { authorizationCodeFlow, createApi, createMachineClient, createUser, createWebClient, discover, tokenRequest } from '../../harness/fixtures.ts';
import { storageEnv, storageMode } from '../../harness/mode.ts';
import { startServer, type TestServer, testSecrets } from '../../harness/server.ts';

let server: TestServer;
before(async () => {
  server = await startServer({ env: { GATEHOUSE_JWKS_MAX_AGE: '1', GATEHOUSE_KEY_PUBLISH_LEAD: '1' } });
});
after(() => server.close());

const jwksKids = async () => ((await (await fetch(`${server.url}/jwks`)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);

test('emergency revoke: the kid leaves the JWKS at once, the verifier refuses its tokens, the next key signs, its grants die', async () => {
  const api = await createApi(server, ['read']);
  const machine = await createMachineClient(server, api, ['read']);
  const mint = async () =>
    String((await tokenRequest(server, { grant_type: 'client_credentials', scope: 'read' }, { id: machine.clientId, secret: machine.clientSecret })).body.access_token);
  const user = await createUser(server);
  const web = await createWebClient(server);
  const webConfig = await discover(server, web);
  const { tokens } = await authorizationCodeFlow(server, webConfig, user);

  const before = await mint();
  const compromised = decodeProtectedHeader(before).kid!;
  // The verifier's own clock: its cached JWKS (max-age 1 s) expires when the test says so.
  let verifierOffsetMs = 0;
  const verifier = createAccessTokenVerifier({ issuer: server.url, audience: api, now: () => Date.now() + verifierOffsetMs });
  await verifier.verify(before);

  const result = await server.gatehouse.services.keys.revoke(compromised);
  assert.ok(result);
  assert.ok(result.generated ?? result.activated, 'another key signs at once');
  assert.ok(result.grantsRevoked >= 1, 'grants with refresh tokens issued under the key are revoked');
  await server.gatehouse.jobs.runOnce('keys.refresh');

  assert.ok(!(await jwksKids()).includes(compromised), 'absent from the JWKS');
  const after = await mint();
  assert.notEqual(decodeProtectedHeader(after).kid, compromised);

  verifierOffsetMs += 1100; // past the max-age of the verifier's cached JWKS: it revalidates
  await assert.rejects(verifier.verify(before), (error: unknown) => error instanceof AccessTokenError && error.status === 401);
  await verifier.verify(after);

  const refresh = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, { id: web.clientId, secret: web.clientSecret });
  assert.equal(refresh.body.error, 'invalid_grant', 'the refresh token issued alongside tokens signed by the key is dead');
});

test('the database holds no private key material in plaintext', async () => {
  const { providerJwks } = await server.gatehouse.services.keys.currentView();
  const secrets = providerJwks.flatMap((jwk) => [jwk.d, jwk.p, jwk.q].filter((v): v is string => typeof v === 'string'));
  assert.ok(secrets.length > 0);
  let dump: string;
  if (storageMode() === 'services') {
    const result = spawnSync('pg_dump', ['--data-only', (await storageEnv()).DATABASE_URL!], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    assert.equal(result.status, 0, result.stderr);
    dump = result.stdout;
  } else {
    const db = server.gatehouse.storage.db;
    const tables = await db('information_schema.tables').where({ table_schema: 'public' }).pluck('table_name');
    dump = (await Promise.all(tables.map(async (table: string) => JSON.stringify(await db(table).select('*'))))).join('\n');
  }
  assert.ok(dump.includes('signing_keys') || dump.includes('private_jwk_jwe'), 'the dump covers the key table');
  for (const secret of secrets) assert.ok(!dump.includes(secret), 'a private key parameter appears in the dump');
  assert.ok(!dump.includes(Buffer.from(testSecrets().keyEncryptionSecret).toString('base64url')), 'nor does the key-encryption secret');
});
