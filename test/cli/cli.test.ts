import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { storageEnv } from '../harness/mode.ts';
import { TEST_ENV } from '../harness/server.ts';
import { clusterSecrets, type ServerProcess, startServerProcess } from '../harness/server-process.ts';

const CLI = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
let env: Record<string, string>;
let server: ServerProcess;

function cli(args: string[], stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

before(async () => {
  env = { ...TEST_ENV, ...(await storageEnv()), ...clusterSecrets(), GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_KEYS_DIR: join(dataDir, 'keys') };
  // In embedded mode the server holds the data directory: the CLI must go through it.
  server = await startServerProcess(env);
});
after(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('users create reads the password from stdin, never argv, and the user can then be listed', async () => {
  const email = `cli-${Date.now()}@example.test`;
  assert.equal((await cli(['roles', 'create', 'admin', '--description', 'Operators'])).code, 0);
  const created = await cli(['users', 'create', '--email', email, '--password-stdin', '--verified', '--role', 'admin', '--json'], 'a long enough passphrase');
  assert.equal(created.code, 0, created.stderr);
  assert.equal(JSON.parse(created.stdout).email, email);
  const listed = await cli(['users', 'list', '--json']);
  const user = (JSON.parse(listed.stdout) as Array<{ email: string; roles: string[]; emailVerified: boolean }>).find((u) => u.email === email);
  assert.deepEqual({ roles: user?.roles, verified: user?.emailVerified }, { roles: ['admin'], verified: true });
});

test('users logout EMAIL ends the user’s sessions and grants and reports what it did; an unknown user is a usage error', async () => {
  const email = `logout-${Date.now()}@example.test`;
  assert.equal((await cli(['users', 'create', '--email', email, '--password-stdin', '--verified'], 'a long enough passphrase')).code, 0);
  const result = await cli(['users', 'logout', email]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /ended 0 sessions and revoked 0 grants/);
  assert.equal((await cli(['users', 'logout', 'nobody@example.test'])).code, 2);
});

test('clients create prints the secret once; the stored client has only its digest and works at the token endpoint', async () => {
  const identifier = `https://cli-${Date.now()}.example.test`;
  assert.equal((await cli(['apis', 'create', '--identifier', identifier, '--name', 'CLI API', '--scopes', 'read'])).code, 0);
  const created = await cli(['clients', 'create', '--name', 'svc', '--type', 'confidential', '--grant-types', 'client_credentials', '--resources', identifier, '--scopes', 'read', '--json']);
  assert.equal(created.code, 0, created.stderr);
  const { clientId, clientSecret } = JSON.parse(created.stdout) as { clientId: string; clientSecret: string };
  const listed = await cli(['clients', 'list', '--json']);
  assert.ok(!listed.stdout.includes(clientSecret), 'the secret is never shown again');
  const token = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  assert.equal(token.status, 200);

  const rotated = await cli(['clients', 'rotate-secret', clientId, '--overlap', '10m', '--json']);
  assert.equal(rotated.code, 0, rotated.stderr);
  const { clientSecret: newSecret, previousSecretExpiresAt } = JSON.parse(rotated.stdout) as { clientSecret: string; previousSecretExpiresAt: number };
  assert.notEqual(newSecret, clientSecret);
  assert.ok(Math.abs(previousSecretExpiresAt - (Date.now() / 1000 + 600)) < 60, 'the old secret expires after the overlap');
  assert.equal((await cli(['clients', 'rotate-secret', clientId, '--overlap', 'soon'])).code, 2, 'a malformed duration is a usage error');
  assert.equal((await cli(['clients', 'delete', clientId])).code, 0);
  assert.equal((await cli(['clients', 'delete', clientId])).code, 2, 'deleting twice is a usage error');
});

test('invalid input fails with exit code 1 and a one-line reason; unknown commands with 2', async () => {
  const bad = await cli(['clients', 'create', '--name', 'x', '--type', 'public', '--grant-types', 'authorization_code', '--redirect-uris', 'http://evil.example/cb']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /only loopback redirect URIs may use http/);
  const weak = await cli(['users', 'create', '--email', 'weak@example.test', '--password-stdin'], 'short');
  assert.equal(weak.code, 1);
  assert.match(weak.stderr, /at least 12 characters/);
  assert.equal((await cli(['frobnicate'])).code, 2);
  assert.equal((await cli(['users', 'create', '--email', 'x@example.test'])).code, 2, 'no --password-stdin and no terminal');
});

test('roles and groups: create, grant to a group, a user and a client, list, revoke, delete; the client’s token carries its roles', async () => {
  const run = async (args: string[], stdin?: string) => {
    const result = await cli(args, stdin);
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const identifier = `https://rbac-${Date.now()}.example.test`;
  const pii = await cli(['apis', 'create', '--identifier', `${identifier}/pii`, '--claims', 'roles,email']);
  assert.equal(pii.code, 1);
  assert.match(pii.stderr, /email is personal data/);
  await run(['apis', 'create', '--identifier', identifier, '--name', 'RBAC API', '--scopes', 'read', '--claims', 'roles,groups']);
  await run(['roles', 'create', 'reader', '--api', identifier, '--description', 'Reads']);
  await run(['roles', 'create', 'staff']);
  const email = `rbac-${Date.now()}@example.test`;
  await run(['users', 'create', '--email', email, '--password-stdin', '--verified'], 'a long enough passphrase');
  await run(['groups', 'create', 'team', '--description', 'The team']);
  await run(['groups', 'add-member', 'team', email]);
  await run(['roles', 'grant', 'reader', '--group', 'team']);
  await run(['roles', 'grant', 'staff', '--user', email]);
  const users = JSON.parse(await run(['users', 'list', '--json'])) as Array<{ email: string; roles: string[] }>;
  assert.deepEqual(users.find((u) => u.email === email)?.roles, ['reader', 'staff']);
  const groups = JSON.parse(await run(['groups', 'list', '--json'])) as Array<{ name: string; roles: string[] }>;
  assert.deepEqual(groups.find((g) => g.name === 'team')?.roles, ['reader']);
  assert.equal((await cli(['roles', 'grant', 'reader'])).code, 2, 'grant needs --user, --client or --group');
  assert.equal((await cli(['roles', 'grant', 'nope', '--user', email])).code, 1, 'an unknown role is refused');

  const { clientId, clientSecret } = JSON.parse(
    await run(['clients', 'create', '--name', 'rbac-svc', '--type', 'confidential', '--grant-types', 'client_credentials', '--resources', identifier, '--scopes', 'read', '--json']),
  ) as { clientId: string; clientSecret: string };
  await run(['roles', 'grant', 'reader', '--client', clientId]);
  const token = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  const accessToken = String(((await token.json()) as { access_token: string }).access_token);
  assert.deepEqual(JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()).roles, ['reader']);

  await run(['roles', 'revoke', 'reader', '--client', clientId]);
  await run(['groups', 'remove-member', 'team', email]);
  await run(['roles', 'delete', 'reader']);
  await run(['groups', 'delete', 'team']);
  const roles = JSON.parse(await run(['roles', 'list', '--json'])) as Array<{ name: string }>;
  assert.deepEqual(roles.map((r) => r.name).filter((n) => ['reader', 'staff'].includes(n)), ['staff']);
});

test('iat create prints the token once; iat list shows its policy and use, never the token; iat revoke ends it', async () => {
  const created = await cli(['iat', 'create', '--expires', '7d', '--quota', '5', '--scopes', 'openid,email', '--redirect-hosts', 'app.example.test', '--allow-confidential', '--json']);
  assert.equal(created.code, 0, created.stderr);
  const { id, token, expiresAt } = JSON.parse(created.stdout) as { id: string; token: string; expiresAt: string };
  assert.ok(token.length >= 43, 'a 256-bit token');
  const days = (Date.parse(expiresAt) - Date.now()) / 86_400_000;
  assert.ok(days > 6.9 && days <= 7, `expires in 7 days (${days})`);

  const listed = await cli(['iat', 'list', '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.ok(!listed.stdout.includes(token), 'the token is never shown again');
  const row = (JSON.parse(listed.stdout) as Array<{ id: string; quota: number; used: number; state: string; policy: { scopes: string[]; redirectUriHosts: string[]; allowConfidential: boolean } }>).find((t) => t.id === id);
  assert.deepEqual(
    { quota: row?.quota, used: row?.used, state: row?.state, scopes: row?.policy.scopes, hosts: row?.policy.redirectUriHosts, confidential: row?.policy.allowConfidential },
    { quota: 5, used: 0, state: 'active', scopes: ['openid', 'email'], hosts: ['app.example.test'], confidential: true },
  );
  assert.match((await cli(['iat', 'list'])).stdout, new RegExp(`${id}\\s+active\\s+0/5`));

  assert.equal((await cli(['iat', 'revoke', id])).code, 0);
  assert.equal((await cli(['iat', 'revoke', id])).code, 2, 'revoking twice is a usage error');
  assert.match((await cli(['iat', 'list'])).stdout, new RegExp(`${id}\\s+revoked`));
  assert.equal((await cli(['iat', 'create', '--expires', 'soon', '--quota', '1'])).code, 2);
  assert.equal((await cli(['iat', 'create', '--expires', '1d', '--quota', '0'])).code, 1, 'a quota below 1 is refused');
});
