/**
 * The jobs module on a real database: a cluster job runs on one runner at a time (a Postgres
 * advisory lock in services mode, the in-process guard in embedded mode, where one process owns
 * the data directory), about once per interval across runners, and every run is recorded and
 * visible in /metrics. No sleeps: the tests wait on the runs themselves.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { systemClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import { Conflict } from '../../src/errors.ts';
import { expiredTokensJob } from '../../src/jobs/expired-tokens.ts';
import { createJobRunner, type Job, type JobReport } from '../../src/jobs/index.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/ops/metrics.ts';
import { openStorage, type Storage } from '../../src/storage/index.ts';
import { storageEnv, storageMode } from '../harness/mode.ts';
import { startServer, TEST_ENV, type TestServer } from '../harness/server.ts';
import { deferred, waitFor } from '../harness/wait.ts';

const SERVICES = storageMode() === 'services';
const METRICS_TOKEN = 'jobs-metrics-token-0123456789';
const logger = createLogger({ level: 'silent' });

let server: TestServer;
/** A second view of the same database, as another instance has: its own pool in services mode. */
let other: Storage;
before(async () => {
  server = await startServer({ env: { GATEHOUSE_METRICS_TOKEN: METRICS_TOKEN } });
  other = SERVICES ? await openStorage(loadConfig({ ...TEST_ENV, ...(await storageEnv()) })) : server.gatehouse.storage;
});
after(async () => {
  if (SERVICES) await other.close();
  await server.close();
});

const cleanupOn = (storage: Storage, intervalSeconds = 3600, batchSize = 100) =>
  expiredTokensJob({
    oidcPayloads: storage.queries.oidcPayloads.deleteExpired,
    emailTokens: storage.queries.emailTokens.deleteExpired,
    batchSize,
    graceSeconds: 0,
    intervalSeconds,
  });

const runnerOn = (storage: Storage, jobs: Job[], observe?: (report: JobReport) => void) =>
  createJobRunner({ jobs, store: storage.queries.jobs, clock: systemClock, logger, ...(observe ? { observe } : {}) });

async function seedExpired(prefix: string, rows: number) {
  await server.gatehouse.storage.db.raw(
    `insert into oidc_payloads (model, id, payload, expires_at, created_at)
     select 'RefreshToken', ? || g, '{}'::jsonb, now() - interval '1 day', now() from generate_series(1, ?) as g`,
    [prefix, rows],
  );
}
const remaining = async (prefix: string) => Number((await server.gatehouse.storage.db('oidc_payloads').where('id', 'like', `${prefix}%`).count({ n: '*' }))[0]?.n);

/** Holds a job inside its run until released, so a test can act while the job holds its lock. */
function gated(job: Job) {
  const entered = deferred();
  const released = deferred();
  const run: Job['run'] = async (context) => {
    entered.resolve();
    await released.promise;
    return job.run(context);
  };
  return { job: { ...job, run }, entered: entered.promise, release: released.resolve };
}

/**
 * Job locks held in this test's database. pg_locks lists the whole cluster: another suite's
 * databases on the same Postgres hold job locks of their own.
 */
const jobLocksHere = async (granted: boolean) =>
  (
    await server.gatehouse.storage.db.raw(
      `select count(*)::int as n from pg_locks
        where locktype = 'advisory' and classid = 724311 and database = (select oid from pg_database where datname = current_database())${granted ? ' and granted' : ''}`,
    )
  ).rows[0].n as number;

test('while one runner holds a cluster job, a runner on another connection pool is refused; once it is free, the other runs it', async () => {
  await seedExpired('exclusion-', 500);
  const held = gated(cleanupOn(server.gatehouse.storage));
  const first = runnerOn(server.gatehouse.storage, [held.job]);
  const second = runnerOn(other, [cleanupOn(other)]);

  const running = first.runOnce('tokens.delete-expired');
  try {
    await held.entered;
    if (SERVICES) assert.equal(await jobLocksHere(true), 1, 'the running job holds a Postgres advisory lock');
    await assert.rejects(second.runOnce('tokens.delete-expired'), Conflict, 'the second runner may not start it');
    assert.equal(await remaining('exclusion-'), 500, 'and deleted nothing');
  } finally {
    // Released whatever happened above: a failed check must not leave the job (and its pooled
    // connection) held, or closing the storage would wait for it forever.
    held.release();
  }
  const report = await running;
  assert.deepEqual([report.outcome, report.outcome === 'success' && report.rows], ['success', 500]);
  const again = await second.runOnce('tokens.delete-expired');
  assert.deepEqual([again.outcome, again.outcome === 'success' && again.rows], ['success', 0], 'the lock is free again: the other runner runs it');
  if (SERVICES) assert.equal(await jobLocksHere(false), 0, 'and no lock is left behind');
});

test('scheduled on two runners with a 1 s interval, the job never runs twice at once and waits an interval after each success', async () => {
  const successes: Array<Extract<JobReport, { outcome: 'success' }>> = [];
  const skipped: string[] = [];
  const observe = (report: JobReport) => {
    if (report.outcome === 'success') successes.push(report);
    if (report.outcome === 'skipped') skipped.push(report.reason);
  };
  const job = (storage: Storage) => ({ ...cleanupOn(storage, 1), name: 'test.every-second' });
  const runners = [runnerOn(server.gatehouse.storage, [job(server.gatehouse.storage)], observe), runnerOn(other, [job(other)], observe)];
  for (const runner of runners) runner.start();
  try {
    await waitFor('four runs', () => successes.length >= 4);
  } finally {
    await Promise.all(runners.map((runner) => runner.stop()));
  }
  const runs = [...successes].sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
  for (let i = 1; i < runs.length; i += 1) {
    const previousEnd = runs[i - 1]!.startedAt.getTime() + runs[i - 1]!.durationMs;
    // Due one interval after the last success finished (1 ms for the rounding of durationMs).
    assert.ok(runs[i]!.startedAt.getTime() - previousEnd >= 999, `run ${i} started ${runs[i]!.startedAt.getTime() - previousEnd} ms after run ${i - 1} ended`);
  }
  const recorded = await server.gatehouse.storage.queries.jobs.lastRun('test.every-second');
  assert.equal(recorded?.outcome, 'success');
  assert.ok(skipped.every((reason) => reason === 'not_due' || reason === 'busy'), skipped.join());
});

test('a failed run is a report with its message, recorded for every instance to see and counted in metrics; the scheduler runs it again', async () => {
  let attempts = 0;
  const flaky: Job = {
    name: 'test.flaky',
    summary: 'fails once',
    scope: 'cluster',
    intervalSeconds: 1,
    run: async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('the store said no');
      return { rows: 7 };
    },
  };
  const metrics = createMetrics({ signingKeyAges: () => ({}), databasePool: () => undefined, redisReady: () => undefined });
  const runner = runnerOn(server.gatehouse.storage, [flaky], metrics.jobFinished);
  const failed = await runner.runOnce('test.flaky');
  assert.deepEqual([failed.outcome, failed.outcome === 'failure' && failed.error], ['failure', 'the store said no']);
  const seenElsewhere = (await runnerOn(other, [flaky]).list()).find((job) => job.name === 'test.flaky');
  assert.deepEqual([seenElsewhere?.lastRun?.outcome, seenElsewhere?.lastRun?.error, seenElsewhere?.lastRun?.lastSuccessAt], ['failure', 'the store said no', null]);

  runner.start(); // it never succeeded: due at the first check
  await waitFor('the retry', () => attempts >= 2);
  await runner.stop();
  const recorded = await server.gatehouse.storage.queries.jobs.lastRun('test.flaky');
  assert.deepEqual([recorded?.outcome, recorded?.rows, recorded?.error], ['success', 7, null]);
  assert.ok(recorded?.lastSuccessAt);

  const text = await metrics.render();
  assert.match(text, /gatehouse_job_runs_total\{job="test.flaky",outcome="failure"\} 1\n/);
  const successes = Number(/gatehouse_job_runs_total\{job="test.flaky",outcome="success"\} (\d+)\n/.exec(text)?.[1]);
  assert.ok(successes >= 1);
  assert.match(text, new RegExp(`gatehouse_job_rows_affected_total\\{job="test.flaky"\\} ${7 * successes}\n`));
  assert.match(text, /gatehouse_job_last_success_timestamp_seconds\{job="test.flaky"\} \d/);
});

test('/metrics shows each job the server ran: runs by outcome, rows, last run and success, duration', async () => {
  await seedExpired('metrics-', 30);
  const report = await server.gatehouse.jobs.runOnce('tokens.delete-expired');
  assert.equal(report.outcome, 'success');
  await server.gatehouse.jobs.runOnce('keys.refresh');
  const text = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const sample = (name: string, job: string) => Number(new RegExp(`^${name}\\{job="${job}"(?:,outcome="success")?\\} (\\S+)$`, 'm').exec(text)?.[1]);
  assert.equal(sample('gatehouse_job_runs_total', 'tokens.delete-expired'), 1);
  assert.ok(sample('gatehouse_job_rows_affected_total', 'tokens.delete-expired') >= 30);
  const startedAt = report.outcome === 'success' ? report.startedAt.getTime() / 1000 : 0;
  assert.equal(sample('gatehouse_job_last_run_timestamp_seconds', 'tokens.delete-expired'), startedAt);
  assert.equal(sample('gatehouse_job_last_success_timestamp_seconds', 'tokens.delete-expired'), startedAt);
  assert.ok(sample('gatehouse_job_last_duration_seconds', 'tokens.delete-expired') >= 0);
  assert.ok(sample('gatehouse_job_runs_total', 'keys.refresh') >= 1, 'the per-instance key refresh is counted too');
});

test('stopping the runner stops a cleanup between two batches and waits for it; afterwards nothing runs', async () => {
  await seedExpired('stop-', 1000);
  const real = server.gatehouse.storage.queries.oidcPayloads.deleteExpired;
  let batches = 0;
  let stopping: Promise<void> | undefined;
  const job = expiredTokensJob({
    oidcPayloads: async (cutoff, limit) => {
      batches += 1;
      if (batches === 3) stopping = runner.stop(); // shutdown arrives during the third batch
      return real(cutoff, limit);
    },
    emailTokens: server.gatehouse.storage.queries.emailTokens.deleteExpired,
    batchSize: 100,
    graceSeconds: 0,
    intervalSeconds: 3600,
  });
  const runner = runnerOn(server.gatehouse.storage, [job]);
  const report = await runner.runOnce('tokens.delete-expired');
  await stopping;
  assert.deepEqual([report.outcome, report.outcome === 'success' && report.rows], ['success', 300], 'the third batch finished, no fourth began');
  assert.equal(await remaining('stop-'), 700);
  assert.deepEqual(await runner.runOnce('tokens.delete-expired'), { job: 'tokens.delete-expired', outcome: 'skipped', reason: 'stopped' });
  await server.gatehouse.storage.db('oidc_payloads').where('id', 'like', 'stop-%').delete();
});

test('an instance job run by hand while a run is going waits for it, then runs: runs never overlap and none is lost', async () => {
  let active = 0;
  let overlapped = false;
  let runs = 0;
  const refresh: Job = {
    name: 'test.instance',
    summary: 'per instance',
    scope: 'instance',
    intervalSeconds: 3600,
    run: async () => {
      active += 1;
      overlapped ||= active > 1;
      await new Promise<void>((resolve) => setImmediate(resolve));
      active -= 1;
      runs += 1;
      return { rows: 0 };
    },
  };
  const runner = runnerOn(server.gatehouse.storage, [refresh]);
  const reports = await Promise.all([runner.runOnce('test.instance'), runner.runOnce('test.instance'), runner.runOnce('test.instance')]);
  assert.deepEqual(reports.map((report) => report.outcome), ['success', 'success', 'success']);
  assert.equal(runs, 3);
  assert.equal(overlapped, false);
  assert.equal((await runner.list()).find((job) => job.name === 'test.instance')?.lastRun?.outcome, 'success');
  await runner.stop();
});
