/**
 * `gatehouse jobs` against a running server: in embedded mode the server runs the command (it
 * owns the data directory), in services mode the CLI runs the job under the same advisory lock.
 */
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
const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-jobs-'));
let env: Record<string, string>;
let server: ServerProcess;

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

before(async () => {
  env = { ...TEST_ENV, ...(await storageEnv()), ...clusterSecrets(), GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_KEYS_DIR: join(dataDir, 'keys') };
  server = await startServerProcess(env);
});
after(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('jobs run NAME runs a cluster job once and says what it did; jobs list then shows the run', async () => {
  const before = await cli(['jobs', 'list', '--json']);
  assert.equal(before.code, 0, before.stderr);
  const listed = JSON.parse(before.stdout) as Array<{ name: string; last_run: string }>;
  assert.deepEqual(listed.map((job) => job.name).sort(), ['audit.prune', 'tokens.delete-expired']);

  const ran = await cli(['jobs', 'run', 'tokens.delete-expired']);
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stdout, /^tokens\.delete-expired: \d+ rows in \d+ ms /);
  const pruned = await cli(['jobs', 'run', 'audit.prune', '--json']);
  assert.equal(pruned.code, 0, pruned.stderr);
  assert.equal((JSON.parse(pruned.stdout) as { outcome: string }).outcome, 'success');

  const afterwards = await cli(['jobs', 'list']);
  assert.equal(afterwards.code, 0, afterwards.stderr);
  assert.match(afterwards.stdout, /tokens\.delete-expired\s+3600s\s+\d{4}-\d\d-\d\dT\S+\s+success/);
  assert.match(afterwards.stdout, /keys\.refresh runs inside every server instance/);
});

test('a job the CLI cannot run, or does not know, is a usage error (exit 2) that says why', async () => {
  const perInstance = await cli(['jobs', 'run', 'keys.refresh']);
  assert.equal(perInstance.code, 2);
  assert.match(perInstance.stderr, /keys\.refresh runs inside each server instance/);
  const unknown = await cli(['jobs', 'run', 'tokens.delete-everything']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown job tokens\.delete-everything/);
  assert.equal((await cli(['jobs'])).code, 2);
});
