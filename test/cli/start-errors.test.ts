/**
 * A server that cannot start says why in one line on stderr and exits non-zero: the port, the
 * store, the directory, and what to change. Never a stack trace.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { storageEnv, storageMode } from '../harness/mode.ts';
import { canActAsAnotherUser, whyNotAnotherUser } from '../harness/other-user.ts';
import { TEST_ENV } from '../harness/server.ts';
import { clusterSecrets, freePort } from '../harness/server-process.ts';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'main.ts');
const root = mkdtempSync(join(tmpdir(), 'gatehouse-start-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Starts `node src/main.ts` and waits for it to exit (it must: each case cannot start). */
function startExpectingFailure(env: Record<string, string>, options: { uid?: number } = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH ?? '', ...TEST_ENV, LOG_LEVEL: 'warn', ...clusterSecrets(), ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {}),
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    // Generous: a busy machine; a server that does start never exits, and fails the test here.
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not exit: ${stderr}`));
    }, 90_000);
    child.on('close', (code) => {
      clearTimeout(deadline);
      resolve({ code, stderr });
    });
  });
}

function assertOneLine(result: { code: number | null; stderr: string }, pattern: RegExp) {
  assert.equal(result.code, 1, result.stderr);
  const lines = result.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`);
  assert.match(lines[0] ?? '', pattern);
}

const dir = (name: string) => {
  const path = join(root, name);
  mkdirSync(path, { recursive: true, mode: 0o700 });
  return path;
};

test('a port already in use: one line naming the port, exit 1', async () => {
  const port = await freePort();
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
  try {
    const result = await startExpectingFailure({
      ...(await storageEnv()),
      PORT: String(port),
      GATEHOUSE_ISSUER: `http://127.0.0.1:${port}`,
      GATEHOUSE_DATA_DIR: dir('port'),
    });
    assertOneLine(result, new RegExp(`^gatehouse: port ${port} on 127\\.0\\.0\\.1 is already in use \\(another Gatehouse or another program\\): stop it, or set PORT$`));
  } finally {
    holder.close();
  }
});

test('an unreachable Postgres: one line naming it (never its password), exit 1', async () => {
  const result = await startExpectingFailure({
    DATABASE_URL: 'postgres://gatehouse:s3cret-password@127.0.0.1:1/gatehouse',
    REDIS_URL: 'redis://127.0.0.1:6379',
    PORT: String(await freePort()),
    GATEHOUSE_DATA_DIR: dir('postgres'),
  });
  assertOneLine(result, /^gatehouse: cannot reach Postgres at 127\.0\.0\.1:1\/gatehouse: connect ECONNREFUSED 127\.0\.0\.1:1 — is it running\? \(DATABASE_URL\)$/);
  assert.doesNotMatch(result.stderr, /s3cret/);
});

test('an unreachable Redis: one line naming it, exit 1', { skip: storageMode() === 'embedded' ? 'needs a reachable Postgres: runs in services mode' : false }, async () => {
  const { DATABASE_URL = '' } = await storageEnv();
  const result = await startExpectingFailure({
    DATABASE_URL,
    REDIS_URL: 'redis://127.0.0.1:1',
    PORT: String(await freePort()),
    GATEHOUSE_DATA_DIR: dir('redis'),
  });
  assertOneLine(result, /^gatehouse: cannot reach Redis at 127\.0\.0\.1:1: connect ECONNREFUSED 127\.0\.0\.1:1 — is it running\? \(REDIS_URL\)$/);
});

test(
  'a data directory owned by another user: one line naming it and the fix, exit 1',
  { skip: storageMode() === 'services' ? 'the embedded database is what lives there: runs in embedded mode' : false },
  async (t) => {
    const dataDir = dir('owned');
    chmodSync(root, 0o755);
    // As root, the server runs as uid 65534 against root's directory; otherwise the directory is made unwritable.
    const asRoot = process.getuid?.() === 0;
    if (asRoot && !canActAsAnotherUser()) {
      // Root writes anywhere, so only another user shows the refusal.
      process.stderr.write(`start-errors.test: ${whyNotAnotherUser()}: the foreign data directory was not tried\n`);
      t.skip(whyNotAnotherUser());
      return;
    }
    chmodSync(dataDir, asRoot ? 0o700 : 0o500);
    const result = await startExpectingFailure({ PORT: String(await freePort()), GATEHOUSE_DATA_DIR: dataDir }, asRoot ? { uid: 65534 } : {});
    const owner = asRoot ? `; it belongs to uid 0 and Gatehouse runs as uid 65534` : '';
    assertOneLine(
      result,
      new RegExp(`^gatehouse: permission denied on ${dataDir}/\\S+${owner}: run Gatehouse as the directory's owner, or set GATEHOUSE_DATA_DIR to a directory this user owns$`),
    );
  },
);
