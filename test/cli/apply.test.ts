/**
 * Configuration as code, as an operator runs it: `gatehouse apply -f` and `gatehouse export`
 * against a running server (over its admin socket), and GATEHOUSE_BOOTSTRAP_FILE at start. What a
 * user notices is checked: the plan printed, what exists afterwards (through the CLI and the token
 * endpoint), exit codes, and that no secret is ever printed except once, when it is generated.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { storageEnv, storageMode } from '../harness/mode.ts';
import { TEST_ENV } from '../harness/server.ts';
import { clusterSecrets, type ServerProcess, startServerProcess } from '../harness/server-process.ts';
import { runCli } from './run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-apply-'));
const BOOT_SECRET = 'boot-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
const REPORTS_SECRET = 'reports-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
const REPORTS_SECRET_2 = 'reports-secret-2-0123456789-abcdefghijklmnopqrstuvwxyz';
let env: Record<string, string>;
let server: ServerProcess;

const write = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const cli = (args: string[], extraEnv: Record<string, string> = {}, stdin?: string) => runCli(args, { ...env, ...extraEnv }, stdin);
async function ok(args: string[], extraEnv: Record<string, string> = {}, stdin?: string): Promise<string> {
  const result = await cli(args, extraEnv, stdin);
  assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

const tokenStatus = async (clientId: string, secret: string) =>
  (
    await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    })
  ).status;

const BOOTSTRAP = `version: 1
apis:
  - identifier: https://boot.example.com
    name: Boot API
    scopes: [{ name: boot:read, description: Read }]
clients:
  - clientId: boot-service
    name: Boot service
    type: confidential
    grantTypes: [client_credentials]
    resources: [https://boot.example.com]
    scopes: [boot:read]
    secret: { env: BOOT_SECRET }
`;

const FILE = `# yaml-language-server: $schema=../../docs/gatehouse-config.schema.json
version: 1
apis:
  - identifier: https://api.example.com
    name: Example API
    scopes:
      - { name: invoices:read, description: Read invoices }
roles:
  - { name: billing-admin, description: Manage billing, api: https://api.example.com }
  - { name: auditor }
groups:
  - { name: finance, roles: [billing-admin] }
clients:
  - clientId: demo-app
    name: Demo app
    type: public
    grantTypes: [authorization_code, refresh_token]
    redirectUris: [http://127.0.0.1:8080/callback]
    scopes: [openid, email, offline_access]
  - clientId: billing
    name: Billing
    type: confidential
    grantTypes: [client_credentials]
    resources: [https://api.example.com]
    scopes: [invoices:read]
  - clientId: reports
    name: Reports
    type: confidential
    grantTypes: [client_credentials]
    secret: { env: REPORTS_SECRET }
initialAccessTokens:
  - { name: partners, quota: 5, expiresIn: 86400, policy: { redirectUriHosts: [partner.example.com] } }
`;

before(async () => {
  env = { ...TEST_ENV, ...(await storageEnv()), ...clusterSecrets(), GATEHOUSE_DATA_DIR: join(dir, 'data'), GATEHOUSE_KEYS_DIR: join(dir, 'keys') };
  server = await startServerProcess({ ...env, GATEHOUSE_BOOTSTRAP_FILE: write('bootstrap.yaml', BOOTSTRAP), BOOT_SECRET });
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('GATEHOUSE_BOOTSTRAP_FILE: the server comes up with the clients and APIs the file lists, their secret taken from the environment', async () => {
  assert.equal(await tokenStatus('boot-service', BOOT_SECRET), 200);
  assert.equal(await tokenStatus('boot-service', 'wrong-secret-0123456789-abcdefghijklmnop'), 401);
  assert.ok(!server.output().includes(BOOT_SECRET), 'the referenced secret is never logged');
});

test('apply: creates everything listed, prints each generated secret once; a re-apply changes nothing and prints no secret', async () => {
  const path = write('gatehouse.yaml', FILE);
  const dry = await ok(['apply', '-f', path, '--dry-run'], { REPORTS_SECRET });
  assert.match(dry, /^\+ API https:\/\/api\.example\.com$/m);
  assert.match(dry, /^\+ client billing$/m);
  assert.match(dry, /8 would be created, 0 would be changed, 0 would be deleted/);
  assert.equal(JSON.parse(await ok(['clients', 'list', '--json'])).some((c: { clientId: string }) => c.clientId === 'billing'), false, 'a dry run creates nothing');

  const first = await ok(['apply', '-f', path], { REPORTS_SECRET });
  assert.match(first, /8 created, 0 changed, 0 deleted/);
  const billingSecret = /client billing: client_secret (\S+)/.exec(first)?.[1];
  assert.ok(billingSecret, 'the generated secret is shown once');
  assert.match(first, /initial access token partners: \S+ \(shown once/);
  assert.ok(!first.includes(REPORTS_SECRET), 'a secret taken from the environment is never printed');
  assert.equal(await tokenStatus('billing', billingSecret), 200);
  assert.equal(await tokenStatus('reports', REPORTS_SECRET), 200);
  const roles = JSON.parse(await ok(['roles', 'list', '--json'])) as Array<{ name: string; api: string | null }>;
  assert.deepEqual(roles.find((r) => r.name === 'billing-admin')?.api, 'https://api.example.com');
  const groups = JSON.parse(await ok(['groups', 'list', '--json'])) as Array<{ name: string; roles: string[] }>;
  assert.deepEqual(groups.find((g) => g.name === 'finance')?.roles, ['billing-admin']);

  const again = await cli(['apply', '-f', path], { REPORTS_SECRET });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /^no changes \(\d+ unchanged\)$/m);
  assert.ok(!/secret|token/i.test(again.stdout.replace(/no changes.*/, '')), `nothing else is printed: ${again.stdout}`);
  for (const secret of [billingSecret, REPORTS_SECRET]) assert.ok(!again.stdout.includes(secret) && !again.stderr.includes(secret));
  assert.equal(await tokenStatus('billing', billingSecret), 200, 'a re-apply keeps the secret');
});

test('apply: a change is planned by field (--dry-run changes nothing), then made; a changed referenced secret is rotated to without being printed', async () => {
  const changed = FILE.replace('name: Demo app', 'name: Demo app 2').replace('scopes: [openid, email, offline_access]', 'scopes: [openid, email]');
  const path = write('changed.yaml', changed);
  const dry = await ok(['apply', '-f', path, '--dry-run'], { REPORTS_SECRET: REPORTS_SECRET_2 });
  assert.match(dry, /^~ client demo-app \(name, scopes\)$/m);
  assert.match(dry, /^~ client reports \(secret\)$/m);
  assert.match(dry, /0 would be created, 2 would be changed, 0 would be deleted/);
  assert.match(await ok(['clients', 'show', 'demo-app']), /Demo app$/m, 'the dry run changed nothing');
  assert.equal(await tokenStatus('reports', REPORTS_SECRET), 200);

  const applied = await ok(['apply', '-f', path], { REPORTS_SECRET: REPORTS_SECRET_2 });
  assert.match(applied, /0 created, 2 changed, 0 deleted/);
  assert.ok(!applied.includes(REPORTS_SECRET_2));
  const demo = JSON.parse(await ok(['clients', 'show', 'demo-app', '--json'])) as { name: string; scopes: string[] };
  assert.deepEqual([demo.name, [...demo.scopes].sort()], ['Demo app 2', ['email', 'openid']]);
  assert.equal(await tokenStatus('reports', REPORTS_SECRET_2), 200, 'the new secret works');
  assert.equal(await tokenStatus('reports', REPORTS_SECRET), 401, 'the old one no longer does (overlap 0)');
  assert.match(await ok(['apply', '-f', path], { REPORTS_SECRET: REPORTS_SECRET_2 }), /^no changes/m);
});

test('export writes the state without secrets, and export | apply -f - changes nothing', async () => {
  const exported = await ok(['export']);
  assert.match(exported, /^version: 1$/m);
  assert.match(exported, /clientId: billing/);
  assert.ok(!/secret|digest|sha256:/i.test(exported), `no secret, reference or digest in the export:\n${exported}`);
  assert.ok(!exported.includes('gatehouse-account') && !exported.includes('gatehouse-console') && !exported.includes('/admin/v1'), 'built-in clients and API are not exported');
  const roundTrip = await ok(['apply', '-f', '-', '--prune'], {}, exported);
  assert.match(roundTrip, /^no changes \(\d+ unchanged\)$/m);
});

test('apply --prune deletes what the file no longer lists (dependents first); without --prune nothing is deleted', async () => {
  const smaller = FILE.replace(/ {2}- \{ name: auditor \}\n/, '').replace(/ {2}- clientId: billing\n(?: {4}.*\n)+/, '').replace(/initialAccessTokens:\n.*\n/, '');
  const path = write('smaller.yaml', smaller);
  const withoutPrune = await ok(['apply', '-f', path, '--dry-run'], { REPORTS_SECRET: REPORTS_SECRET_2 });
  assert.match(withoutPrune, /0 would be deleted/);
  const dry = await ok(['apply', '-f', path, '--dry-run', '--prune'], { REPORTS_SECRET: REPORTS_SECRET_2 });
  for (const line of [/^- client billing$/m, /^- role auditor$/m, /^- initial access token partners$/m, /^- client boot-service$/m, /^- API https:\/\/boot\.example\.com$/m]) assert.match(dry, line);
  const lines = dry.split('\n');
  assert.ok(lines.indexOf('- client boot-service') < lines.indexOf('- API https://boot.example.com'), 'a client is deleted before the API it names');
  await ok(['apply', '-f', path, '--prune'], { REPORTS_SECRET: REPORTS_SECRET_2 });
  const clients = (JSON.parse(await ok(['clients', 'list', '--json'])) as Array<{ clientId: string }>).map((c) => c.clientId).sort();
  assert.deepEqual(clients, ['demo-app', 'gatehouse-account', 'gatehouse-console', 'reports'], 'the built-in account and console clients are never pruned');
  assert.equal((await cli(['apis', 'show', 'https://boot.example.com'])).code, 3);
  assert.equal((JSON.parse(await ok(['iat', 'list', '--json'])) as Array<{ state: string }>).filter((t) => t.state === 'active').length, 0);
  const events = JSON.parse(await ok(['audit', 'tail', '--json', '--limit', '200'])) as Array<{ type: string; subject: string | null }>;
  assert.ok(events.some((e) => e.type === 'client.deleted' && e.subject === 'billing'), 'each change is audited');
});

test('schema errors name the file, line and column; nothing is changed; exit code 4', async () => {
  const path = write(
    'broken.yaml',
    ['version: 1', 'clients:', '  - clientId: broken-app', '    name: Broken', '    type: public', '    grantTypes: [authorization_code, implicit]', '    colour: blue', 'apis:', '  - name: no identifier', ''].join('\n'),
  );
  const result = await cli(['apply', '-f', path]);
  assert.equal(result.code, 4, result.stderr);
  assert.match(result.stderr, new RegExp(`${path.replaceAll('.', '\\.')}:6:\\d+: clients\\[0\\]\\.grantTypes\\[1\\]: `));
  assert.match(result.stderr, /broken\.yaml:7:5: clients\[0\]\.colour: unknown field/);
  assert.match(result.stderr, /broken\.yaml:9:\d+: apis\[0\]\.identifier: /);
  assert.equal((await cli(['clients', 'show', 'broken-app'])).code, 3, 'nothing was created');

  const syntax = await cli(['apply', '-f', write('syntax.yaml', 'version: 1\nclients:\n  - clientId: [unclosed\n')]);
  assert.equal(syntax.code, 4);
  assert.match(syntax.stderr, /syntax\.yaml:\d+:\d+: /);
  const json = await cli(['apply', '-f', write('bad.json', '{\n  "version": 1,\n  "roles": [\n    { "name": 5 }\n  ]\n}\n')]);
  assert.equal(json.code, 4);
  assert.match(json.stderr, /bad\.json:4:\d+: roles\[0\]\.name: /, 'JSON files get line numbers too');
  const missing = await cli(['apply', '-f', write('needs-secret.yaml', FILE)]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /REPORTS_SECRET is not set/);
});

test('several instances starting at once with the same bootstrap file: each comes up, everything is created once', { skip: storageMode() !== 'services' && 'one process owns an embedded data directory' }, async () => {
  const file = write('cluster.yaml', BOOTSTRAP.replaceAll('boot-service', 'cluster-service').replaceAll('boot.example.com', 'cluster.example.com'));
  const instances = await Promise.all([0, 1, 2].map(() => startServerProcess({ ...env, GATEHOUSE_DATA_DIR: mkdtempSync(join(dir, 'node-')), GATEHOUSE_BOOTSTRAP_FILE: file, BOOT_SECRET })));
  try {
    assert.equal(await tokenStatus('cluster-service', BOOT_SECRET), 200);
    const clients = (JSON.parse(await ok(['clients', 'list', '--json'])) as Array<{ clientId: string }>).filter((c) => c.clientId === 'cluster-service');
    assert.equal(clients.length, 1);
  } finally {
    await Promise.all(instances.map((instance) => instance.stop()));
  }
});
