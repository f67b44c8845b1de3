/**
 * `gatehouse jobs` against a running server: the CLI sends the admin request over the server's
 * admin socket, so instance jobs run inside that server and cluster jobs under its advisory lock.
 * With the server stopped, the CLI runs the same job set in its own process (job-set.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { storageEnv } from '../harness/mode.ts';
import { TEST_ENV } from '../harness/server.ts';
import { clusterSecrets, type ServerProcess, startServerProcess } from '../harness/server-process.ts';
import { runCli } from './run-cli.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-jobs-'));
let env: Record<string, string>;
let server: ServerProcess | undefined;

const cli = (args: string[]) => runCli(args, env);

before(async () => {
  env = { ...TEST_ENV, ...(await storageEnv()), ...clusterSecrets(), GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_KEYS_DIR: join(dataDir, 'keys') };
  server = await startServerProcess(env);
});
after(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('jobs run NAME runs a job once and says what it did; jobs list then shows the run', async () => {
  const before = await cli(['jobs', 'list', '--json']);
  assert.equal(before.code, 0, before.stderr);
  const listed = JSON.parse(before.stdout) as Array<{ name: string; scope: string; lastRun: unknown }>;
  assert.deepEqual(
    listed.map((job) => [job.name, job.scope]).sort(),
    [
      ['audit.prune', 'cluster'],
      ['keys.refresh', 'instance'],
      ['tokens.delete-expired', 'cluster'],
      ['webhooks.deliver', 'instance'],
    ],
  );
  assert.equal(listed.find((job) => job.name === 'tokens.delete-expired')?.lastRun, null, 'a fresh server has not run the hourly cleanup yet');

  const ran = await cli(['jobs', 'run', 'tokens.delete-expired']);
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stdout, /^tokens\.delete-expired: done in \d+ ms, \d+ rows$/m);
  const pruned = await cli(['jobs', 'run', 'audit.prune', '--json']);
  assert.equal(pruned.code, 0, pruned.stderr);
  assert.equal((JSON.parse(pruned.stdout) as { outcome: string }).outcome, 'success');

  const afterwards = await cli(['jobs', 'list']);
  assert.equal(afterwards.code, 0, afterwards.stderr);
  assert.match(afterwards.stdout, /tokens\.delete-expired\s+cluster\s+3600s\s+\d{4}-\d\d-\d\dT\S+\s+success/);
  assert.match(afterwards.stdout, /audit\.prune\s+cluster\s+86400s\s+\d{4}-\d\d-\d\dT\S+\s+success/);
});

test('an instance job run by hand runs inside the server that answered', async () => {
  const ran = await cli(['jobs', 'run', 'keys.refresh', '--json']);
  assert.equal(ran.code, 0, ran.stderr);
  assert.equal((JSON.parse(ran.stdout) as { job: string; outcome: string }).outcome, 'success');
});

test('an unknown job is "not found" (exit 3) naming it; `jobs` without a command is a usage error (exit 2)', async () => {
  const unknown = await cli(['jobs', 'run', 'tokens.delete-everything']);
  assert.equal(unknown.code, 3);
  assert.match(unknown.stderr, /job tokens\.delete-everything not found/);
  const bare = await cli(['jobs']);
  assert.equal(bare.code, 2);
  assert.match(bare.stdout + bare.stderr, /jobs run/);
});

test('with the server stopped, the CLI runs the same jobs in its own process (webhook delivery included)', async () => {
  await server?.stop();
  server = undefined;
  const listed = await cli(['jobs', 'list', '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  const names = (JSON.parse(listed.stdout) as Array<{ name: string }>).map((job) => job.name).sort();
  assert.deepEqual(names, ['audit.prune', 'tokens.delete-expired', 'webhooks.deliver'], 'every job of a server but key refresh (no provider here)');
  const delivered = await cli(['jobs', 'run', 'webhooks.deliver', '--json']);
  assert.equal(delivered.code, 0, delivered.stderr);
  assert.equal((JSON.parse(delivered.stdout) as { outcome: string }).outcome, 'success');
});
