import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { storageEnv } from '../harness/mode.ts';
import { TEST_ENV } from '../harness/server.ts';
import { clusterSecrets, type ServerProcess, startServerProcess } from '../harness/server-process.ts';
import { runCli } from './run-cli.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
let env: Record<string, string>;
let server: ServerProcess;
const cli = (args: string[], stdin?: string) => runCli(args, env, stdin);

/** Runs a command that must succeed; its stdout. */
async function ok(args: string[], stdin?: string): Promise<string> {
  const result = await cli(args, stdin);
  assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

const clientCredentials = (clientId: string, clientSecret: string) =>
  fetch(`${server.url}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });

before(async () => {
  env = { ...TEST_ENV, ...(await storageEnv()), ...clusterSecrets(), GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_KEYS_DIR: join(dataDir, 'keys') };
  // The CLI reaches the running server over its admin socket (in embedded mode it has no other way in).
  server = await startServerProcess(env);
});
after(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('users create reads the password from stdin, never argv, grants its roles, and the user can then be listed', async () => {
  const email = `cli-${Date.now()}@example.test`;
  await ok(['roles', 'create', 'admin', '--description', 'Operators']);
  const created = await cli(['users', 'create', '--email', email, '--password-stdin', '--verified', '--role', 'admin', '--json'], 'a long enough passphrase');
  assert.equal(created.code, 0, created.stderr);
  assert.equal(JSON.parse(created.stdout).email, email);
  const users = JSON.parse(await ok(['users', 'list', '--json'])) as Array<{ email: string; roles: string[]; emailVerified: boolean }>;
  const user = users.find((u) => u.email === email);
  assert.deepEqual({ roles: user?.roles, verified: user?.emailVerified }, { roles: ['admin'], verified: true });
  assert.match(await ok(['users', 'show', email]), new RegExp(`email:\\s+${email}`));
});

test('users logout EMAIL ends the user’s sessions and grants and reports what it did; users mfa reset says whether there was one', async () => {
  const email = `logout-${Date.now()}@example.test`;
  await ok(['users', 'create', '--email', email, '--password-stdin', '--verified'], 'a long enough passphrase');
  assert.match(await ok(['users', 'logout', email]), /ended 0 sessions and revoked 0 grants/);
  assert.match(await ok(['users', 'mfa', 'reset', email]), /had no MFA/);
  const events = JSON.parse(await ok(['audit', 'tail', '--user', email, '--json'])) as Array<{ type: string; actor: string | null }>;
  assert.deepEqual(
    events.filter((e) => ['user.created', 'user.logout_everywhere', 'mfa.reset_by_admin'].includes(e.type)).map((e) => [e.type, e.actor]),
    [
      ['mfa.reset_by_admin', 'cli'],
      ['user.logout_everywhere', 'cli'],
      ['user.created', 'cli'],
    ],
    'each operator action is audited once, naming the CLI as the actor',
  );
  await ok(['users', 'delete', email]);
  assert.equal((await cli(['users', 'show', email])).code, 3);
});

test('clients create prints the secret once; the stored client has only its digest and works at the token endpoint', async () => {
  const identifier = `https://cli-${Date.now()}.example.test`;
  await ok(['apis', 'create', '--identifier', identifier, '--name', 'CLI API', '--scopes', 'read']);
  const created = JSON.parse(
    await ok(['clients', 'create', '--name', 'svc', '--type', 'confidential', '--grant-types', 'client_credentials', '--resources', identifier, '--scopes', 'read', '--json']),
  ) as { client: { clientId: string }; clientSecret: string };
  const { clientSecret } = created;
  const { clientId } = created.client;
  // A base64url id starts with '-' one time in 64, and then every command below read it as a flag.
  assert.match(clientId, /^[0-9a-f]{32}$/, 'a generated client id is hex: never a leading dash');
  assert.ok(!(await ok(['clients', 'list', '--json'])).includes(clientSecret), 'the secret is never shown again');
  assert.equal((await clientCredentials(clientId, clientSecret)).status, 200);

  const rotated = JSON.parse(await ok(['clients', 'rotate-secret', clientId, '--overlap', '10m', '--json'])) as { clientSecret: string; previousSecretExpiresAt: number };
  assert.notEqual(rotated.clientSecret, clientSecret);
  assert.ok(Math.abs(rotated.previousSecretExpiresAt - (Date.now() / 1000 + 600)) < 60, 'the old secret expires after the overlap');
  assert.equal((await cli(['clients', 'rotate-secret', clientId, '--overlap', 'soon'])).code, 2, 'a malformed duration is a usage error');
  await ok(['clients', 'delete', clientId]);
  assert.equal((await clientCredentials(clientId, rotated.clientSecret)).status, 401);
  assert.equal((await cli(['clients', 'delete', clientId])).code, 3, 'deleting twice: not found');
});

test('each documented error has its exit code and a one-line reason: usage 2, not found 3, invalid 4, conflict 5', async () => {
  const usage = await cli(['clients', 'create', '--name', 'x', '--frobnicate']);
  assert.deepEqual([usage.code, usage.stderr.trim()], [2, 'gatehouse: unknown flag --frobnicate (gatehouse clients create --help lists the flags)']);
  assert.equal((await cli(['frobnicate'])).code, 2);
  assert.equal((await cli(['users', 'create', '--email', 'x@example.test'])).code, 2, 'no --password-stdin and no terminal');
  assert.equal((await cli(['roles', 'grant', 'reader'])).code, 2, 'grant needs --user, --client or --group');

  const missing = await cli(['users', 'logout', 'nobody@example.test']);
  assert.deepEqual([missing.code, missing.stderr.trim()], [3, 'gatehouse: no user nobody@example.test']);
  assert.equal((await cli(['keys', 'revoke', 'no-such-kid'])).code, 3);

  const invalid = await cli(['clients', 'create', '--name', 'x', '--type', 'public', '--grant-types', 'authorization_code', '--redirect-uris', 'http://evil.example/cb']);
  assert.equal(invalid.code, 4);
  assert.match(invalid.stderr, /only loopback redirect URIs may use http/);
  const weak = await cli(['users', 'create', '--email', 'weak@example.test', '--password-stdin'], 'short');
  assert.equal(weak.code, 4);
  assert.match(weak.stderr, /at least 12 characters/);
  assert.doesNotMatch(`${invalid.stderr}${weak.stderr}`, /\n\s+at /, 'no stack trace');

  const role = `dup-${Date.now()}`;
  await ok(['roles', 'create', role]);
  const conflict = await cli(['roles', 'create', role]);
  assert.deepEqual([conflict.code, conflict.stderr.trim()], [5, `gatehouse: role ${role} already exists`]);
});

test('roles and groups: create, grant to a group, a user and a client, list, revoke, delete; the client’s token carries its roles', async () => {
  const identifier = `https://rbac-${Date.now()}.example.test`;
  const pii = await cli(['apis', 'create', '--identifier', `${identifier}/pii`, '--claims', 'roles,email']);
  assert.equal(pii.code, 4);
  assert.match(pii.stderr, /email is personal data/);
  await ok(['apis', 'create', '--identifier', identifier, '--name', 'RBAC API', '--scopes', 'read', '--claims', 'roles,groups']);
  await ok(['roles', 'create', 'reader', '--api', identifier, '--description', 'Reads']);
  await ok(['roles', 'create', 'staff']);
  const email = `rbac-${Date.now()}@example.test`;
  await ok(['users', 'create', '--email', email, '--password-stdin', '--verified'], 'a long enough passphrase');
  await ok(['groups', 'create', 'team', '--description', 'The team']);
  await ok(['groups', 'add-member', 'team', email]);
  await ok(['roles', 'grant', 'reader', '--group', 'team']);
  assert.equal(await ok(['roles', 'grant', 'staff', '--user', email]), `granted role staff to user ${email}\n`);
  const users = JSON.parse(await ok(['users', 'list', '--json'])) as Array<{ email: string; roles: string[] }>;
  assert.deepEqual(users.find((u) => u.email === email)?.roles, ['reader', 'staff']);
  const groups = JSON.parse(await ok(['groups', 'list', '--json'])) as Array<{ name: string; roles: string[] }>;
  assert.deepEqual(groups.find((g) => g.name === 'team')?.roles, ['reader']);
  assert.equal((await cli(['roles', 'grant', 'nope', '--user', email])).code, 3, 'an unknown role is not found');

  const { client, clientSecret } = JSON.parse(
    await ok(['clients', 'create', '--name', 'rbac-svc', '--type', 'confidential', '--grant-types', 'client_credentials', '--resources', identifier, '--scopes', 'read', '--json']),
  ) as { client: { clientId: string }; clientSecret: string };
  await ok(['roles', 'grant', 'reader', '--client', client.clientId]);
  const accessToken = String(((await (await clientCredentials(client.clientId, clientSecret)).json()) as { access_token: string }).access_token);
  assert.deepEqual(JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()).roles, ['reader']);

  await ok(['roles', 'revoke', 'reader', '--client', client.clientId]);
  await ok(['groups', 'remove-member', 'team', email]);
  await ok(['roles', 'delete', 'reader']);
  await ok(['groups', 'delete', 'team']);
  const roles = JSON.parse(await ok(['roles', 'list', '--json'])) as Array<{ name: string }>;
  assert.deepEqual(roles.map((r) => r.name).filter((n) => ['reader', 'staff'].includes(n)), ['staff']);
});

test('iat create prints the token once; iat list shows its policy and use, never the token; iat revoke ends it', async () => {
  const created = await cli(['iat', 'create', '--expires', '7d', '--quota', '5', '--scopes', 'openid,email', '--redirect-hosts', 'app.example.test', '--allow-confidential', '--json']);
  assert.equal(created.code, 0, created.stderr);
  const { id, token, expiresAt } = JSON.parse(created.stdout) as { id: string; token: string; expiresAt: string };
  assert.ok(token.length >= 43, 'a 256-bit token');
  const days = (Date.parse(expiresAt) - Date.now()) / 86_400_000;
  assert.ok(days > 6.9 && days <= 7, `expires in 7 days (${days})`);

  const listed = await ok(['iat', 'list', '--json']);
  assert.ok(!listed.includes(token), 'the token is never shown again');
  const row = (JSON.parse(listed) as Array<{ id: string; quota: number; used: number; state: string; policy: { scopes: string[]; redirectUriHosts: string[]; allowConfidential: boolean } }>).find((t) => t.id === id);
  assert.deepEqual(
    { quota: row?.quota, used: row?.used, state: row?.state, scopes: row?.policy.scopes, hosts: row?.policy.redirectUriHosts, confidential: row?.policy.allowConfidential },
    { quota: 5, used: 0, state: 'active', scopes: ['openid', 'email'], hosts: ['app.example.test'], confidential: true },
  );
  assert.match(await ok(['iat', 'list']), new RegExp(`${id}\\s+active\\s+0/5`));

  await ok(['iat', 'revoke', id]);
  assert.equal((await cli(['iat', 'revoke', id])).code, 3, 'revoking twice: not found');
  assert.match(await ok(['iat', 'list']), new RegExp(`${id}\\s+revoked`));
  assert.equal((await cli(['iat', 'create', '--expires', 'soon', '--quota', '1'])).code, 2);
  assert.equal((await cli(['iat', 'create', '--expires', '1d', '--quota', '0'])).code, 4, 'a quota below 1 is refused');
});

test('keys and audit: --json uses the API’s names and null for absent times; verify walks the chain; prune reports', async () => {
  const keys = JSON.parse(await ok(['keys', 'list', '--json'])) as Array<Record<string, unknown>>;
  const signing = keys.find((key) => key.state === 'active');
  assert.ok(signing && 'revokedAt' in signing && signing.revokedAt === null, `absent times are null: ${JSON.stringify(signing)}`);
  assert.ok(keys.every((key) => Object.keys(key).every((name) => /^[a-z][A-Za-z]*$/.test(name))), 'camelCase names');
  assert.match(await ok(['audit', 'verify']), /^audit chain intact: \d+ events verified/);
  assert.match(await ok(['audit', 'prune', '--days', '365']), /^pruned 0 events older than 365 days/);
  const tail = JSON.parse(await ok(['audit', 'tail', '--type', 'audit.verified', '--limit', '1', '--json'])) as Array<{ actor: string }>;
  assert.deepEqual(tail.map((e) => e.actor), ['cli'], 'the check itself is audited');
});

test('with the server stopped, the CLI opens the configured storage itself (same handlers, same answers)', async () => {
  await server.stop();
  const email = `offline-${Date.now()}@example.test`;
  await ok(['users', 'create', '--email', email, '--password-stdin'], 'a long enough passphrase');
  const users = JSON.parse(await ok(['users', 'list', '--email', email, '--json'])) as Array<{ email: string }>;
  assert.deepEqual(users.map((u) => u.email), [email]);
  server = await startServerProcess(env);
});

test('an unreachable database is "unavailable" (exit 6), named in one line', async () => {
  const unreachable = await runCli(['users', 'list'], {
    ...TEST_ENV,
    DATABASE_URL: 'postgres://gatehouse@127.0.0.1:1/gatehouse',
    REDIS_URL: 'redis://127.0.0.1:1',
    GATEHOUSE_DATA_DIR: join(dataDir, 'elsewhere'),
    GATEHOUSE_KEYS_DIR: join(dataDir, 'keys'),
  });
  assert.equal(unreachable.code, 6, unreachable.stderr);
  assert.match(unreachable.stderr, /^gatehouse: cannot reach Postgres at 127\.0\.0\.1:1\/gatehouse: .*ECONNREFUSED.* — is it running\? \(DATABASE_URL\)\n$/);
});
