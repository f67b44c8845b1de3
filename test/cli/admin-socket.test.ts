/**
 * The admin socket makes whoever connects an operator, so no other user may ever reach it — not
 * even in the moment between bind() and a chmod, and not with a permissive umask.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { AdminRequest } from '../../src/admin/dispatch.ts';
import { AdminSocketRefused, adminSocketPath, serveAdminSocket } from '../../src/admin/socket.ts';
import { createLogger } from '../../src/logger.ts';
import { storageEnv } from '../harness/mode.ts';
import { canActAsAnotherUser, whyNotAnotherUser } from '../harness/other-user.ts';
import { TEST_ENV } from '../harness/server.ts';
import { clusterSecrets, startServerProcess } from '../harness/server-process.ts';
import { runCli } from './run-cli.ts';

const root = mkdtempSync(join(tmpdir(), 'gatehouse-socket-'));
after(() => rmSync(root, { recursive: true, force: true }));
const logger = createLogger({ level: 'silent' });
const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

test('another local user cannot reach the admin socket, not even the moment it is bound, whatever the umask', async () => {
  const dataDir = join(root, 'attacked');
  // Private, as the server insists (storage/private-data-dir.ts); the socket must not rely on it:
  // its own directory and mode are asserted below at the instant bind() returns.
  mkdirSync(dataDir, { mode: 0o700 });
  chmodSync(root, 0o755);
  const findings = join(root, 'probe.jsonl');
  const env = {
    ...TEST_ENV,
    ...(await storageEnv()),
    ...clusterSecrets(),
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_KEYS_DIR: join(root, 'keys'),
    NODE_OPTIONS: `--import ${join(import.meta.dirname, 'fixtures', 'socket-probe.ts')}`,
    GATEHOUSE_TEST_SOCKET_PROBE: findings,
  };
  const server = await startServerProcess(env);
  try {
    assert.ok(existsSync(findings), 'the server bound an admin socket');
    const [probe] = readFileSync(findings, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, string>);
    assert.equal(probe?.path, adminSocketPath(dataDir));
    assert.deepEqual(
      { socket: probe?.socketMode, directory: probe?.directoryMode },
      { socket: '600', directory: '700' },
      'private from the moment it exists, under umask 000',
    );
    if (canActAsAnotherUser()) {
      assert.equal(probe?.attack, 'EACCES', 'uid 65534 is refused at connect()');
    } else {
      process.stderr.write(`admin-socket.test: ${whyNotAnotherUser()}, so the connect as another user was not attempted (the modes were checked)\n`);
    }
    const { code, stdout } = await runCli(['roles', 'list', '--json'], { ...env, NODE_OPTIONS: '' });
    assert.equal(code, 0);
    assert.ok(!(JSON.parse(stdout) as Array<{ name: string }>).some((role) => role.name === 'intruder'), 'nothing the attacker sent was run');
  } finally {
    await server.stop();
  }
  assert.equal(existsSync(adminSocketPath(dataDir)), false, 'the socket goes with the server');
});

const echo = async (request: AdminRequest) => ({ status: 200, body: { seen: request } });

function exchange(path: string, raw: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(raw));
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(JSON.parse(answer)));
    socket.on('error', reject);
  });
}

test('a widened socket directory is tightened to 0700; a symlinked one is refused', async () => {
  const wide = join(root, 'wide', 'run');
  mkdirSync(wide, { recursive: true });
  chmodSync(wide, 0o777);
  const socket = await serveAdminSocket({ path: join(wide, 'admin.sock'), dispatch: echo, logger, maxRequestBytes: 1024 });
  assert.deepEqual([modeOf(wide), modeOf(join(wide, 'admin.sock'))], ['700', '600']);
  await socket?.close();

  const elsewhere = join(root, 'elsewhere');
  mkdirSync(elsewhere, { mode: 0o700 });
  mkdirSync(join(root, 'linked'));
  symlinkSync(elsewhere, join(root, 'linked', 'run'));
  await assert.rejects(serveAdminSocket({ path: join(root, 'linked', 'run', 'admin.sock'), dispatch: echo, logger, maxRequestBytes: 1024 }), AdminSocketRefused);
});

test('one admin request per connection; malformed or oversized requests get a problem, never a crash; a live socket is not taken over', async () => {
  const path = join(root, 'proto', 'run', 'admin.sock');
  const socket = await serveAdminSocket({ path, dispatch: echo, logger, maxRequestBytes: 1024 });
  assert.ok(socket);
  try {
    const request = { method: 'GET', path: '/users', query: { email: 'a@example.test' } };
    assert.deepEqual(await exchange(path, `${JSON.stringify(request)}\n`), { status: 200, body: { seen: request } });
    assert.equal((await exchange(path, 'not json\n')).status, 400);
    assert.equal((await exchange(path, `${JSON.stringify({ argv: ['users', 'list'] })}\n`)).status, 400, 'the old argv protocol is gone');
    assert.equal((await exchange(path, `${JSON.stringify({ method: 'GET', path: '/users', body: 'x'.repeat(2000) })}\n`)).status, 413);
    const second = await serveAdminSocket({ path, dispatch: echo, logger, maxRequestBytes: 1024 });
    assert.equal(second, undefined, 'another instance sharing the directory leaves the live socket alone');
    assert.equal((await exchange(path, `${JSON.stringify(request)}\n`)).status, 200);
  } finally {
    await socket.close();
  }
});
