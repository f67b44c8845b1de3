/**
 * Issue #17 acceptance 2: `oidc_payloads` stops growing. A million expired rows (generated in SQL;
 * embedded mode uses fewer, PGlite being single-threaded WASM) are deleted by the cleanup job in
 * bounded batches while tokens keep being issued; what must stay, stays.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { authorizationCodeFlow, createApi, createMachineClient, createUser, createWebClient, discover, tokenRequest } from '../harness/fixtures.ts';
import { storageEnv, storageMode } from '../harness/mode.ts';
import { startServer, type TestServer } from '../harness/server.ts';
import { deferred, waitFor } from '../harness/wait.ts';

const SERVICES = storageMode() === 'services';
const EXPIRED_ROWS = SERVICES ? 1_000_000 : 50_000;
const BATCH_SIZE = 1000;
const JOB = 'tokens.delete-expired';

let server: TestServer;
before(async () => {
  server = await startServer({ env: { GATEHOUSE_JOBS_BATCH_SIZE: String(BATCH_SIZE), GATEHOUSE_CLOCK_SKEW: '300' } });
});
after(() => server.close());

/**
 * Rows that must survive the cleanup, each for its reason, and the expired ones. Generated in
 * SQL: one statement per kind, without the server's statement timeout.
 */
async function seed(expired: number) {
  await withoutDeadline(async (run) => {
    // Expired: grants and refresh tokens (a third of them consumed), expired one hour to a day ago.
    await run(
      `insert into oidc_payloads (model, id, payload, grant_id, expires_at, consumed_at, created_at)
       select case when g % 4 = 0 then 'Grant' else 'RefreshToken' end, 'expired-' || g,
              '{"kind":"seed"}'::jsonb, 'seed-grant-' || (g % 100000),
              now() - interval '1 hour' - (g % 82800) * interval '1 second',
              case when g % 3 = 0 then now() - interval '2 days' end, now() - interval '30 days'
       from generate_series(1, ${expired}) as g`,
    );
    // Kept: consumed refresh tokens still inside their lifetime (the evidence of reuse).
    await run(
      `insert into oidc_payloads (model, id, payload, grant_id, expires_at, consumed_at, created_at)
       select 'RefreshToken', 'consumed-live-' || g, '{}'::jsonb, 'live-grant', now() + interval '1 day', now() - interval '1 minute', now()
       from generate_series(1, 100) as g`,
    );
    // Kept: expired a minute ago, inside the clock-skew margin (300 s).
    await run(
      `insert into oidc_payloads (model, id, payload, grant_id, expires_at, created_at)
       select 'RefreshToken', 'recently-expired-' || g, '{}'::jsonb, 'live-grant', now() - interval '1 minute', now()
       from generate_series(1, 100) as g`,
    );
    // Kept: rows without an expiry.
    await run(
      `insert into oidc_payloads (model, id, payload, expires_at, created_at)
       select 'InitialAccessToken', 'no-expiry-' || g, '{}'::jsonb, null, now() from generate_series(1, 10) as g`,
    );
  });
}

/**
 * Runs seeding SQL without the server's deadlines (its pool gives every statement 5 s): on its own
 * connection in services mode, on the server's single PGlite connection in embedded mode.
 */
async function withoutDeadline(fn: (run: (sql: string) => Promise<unknown>) => Promise<void>) {
  if (!SERVICES) return fn((sql) => server.gatehouse.storage.db.raw(sql));
  const client = new pg.Client({ connectionString: (await storageEnv()).DATABASE_URL });
  await client.connect();
  try {
    await fn((sql) => client.query(sql));
  } finally {
    await client.end();
  }
}

const count = async (where: string) => Number((await server.gatehouse.storage.db.raw(`select count(*)::int as n from oidc_payloads where ${where}`)).rows[0].n);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

interface Sample {
  kind: 'client_credentials' | 'refresh_token';
  start: number;
  end: number;
  status: number;
}

test(`the cleanup job deletes ${EXPIRED_ROWS} expired rows in bounded batches while tokens keep being issued`, async (t) => {
  const api = await createApi(server, ['read']);
  const machine = await createMachineClient(server, api, ['read']);
  const web = await createWebClient(server);
  const { tokens } = await authorizationCodeFlow(server, await discover(server, web), await createUser(server));
  const liveRowsBefore = await count("id not like 'expired-%' and (expires_at is null or expires_at > now())");
  await seed(EXPIRED_ROWS);
  assert.equal(await count("id like 'expired-%'"), EXPIRED_ROWS);

  // Token traffic: three client-credentials loops and one refresh-token family rotating (each
  // rotation consumes a row of oidc_payloads and inserts one: the table being cleaned).
  const samples: Sample[] = [];
  let stop = false;
  const timed = async (kind: Sample['kind'], request: () => Promise<{ status: number; body: Record<string, unknown> }>) => {
    const start = performance.now();
    const response = await request();
    samples.push({ kind, start, end: performance.now(), status: response.status });
    return response;
  };
  const clientCredentials = async () => {
    while (!stop) {
      await timed('client_credentials', () => tokenRequest(server, { grant_type: 'client_credentials', scope: 'read' }, { id: machine.clientId, secret: machine.clientSecret }));
    }
  };
  let refreshToken = tokens.refresh_token!;
  const refreshes = async () => {
    while (!stop) {
      const response = await timed('refresh_token', () =>
        tokenRequest(server, { grant_type: 'refresh_token', refresh_token: refreshToken }, { id: web.clientId, secret: web.clientSecret }),
      );
      if (response.status === 200) refreshToken = String(response.body.refresh_token);
    }
  };
  const traffic = Promise.all([clientCredentials(), clientCredentials(), clientCredentials(), refreshes()]);
  await waitFor('traffic before the cleanup', () => samples.length >= 400);
  const baselineEnd = performance.now();

  const jobStart = performance.now();
  const report = await server.gatehouse.jobs.runOnce(JOB);
  const jobEnd = performance.now();
  await waitFor('traffic after the cleanup', () => samples.filter((s) => s.start > jobEnd).length >= 50);
  stop = true;
  await traffic;

  assert.equal(report.outcome, 'success', JSON.stringify(report));
  assert.ok(report.outcome === 'success');
  const tally = report.details?.oidcPayloads as { rows: number; batches: number; largestBatch: number };
  assert.equal(tally.rows, EXPIRED_ROWS, 'every expired row was deleted, and nothing else');
  assert.ok(tally.largestBatch <= BATCH_SIZE, `no statement deleted more than ${BATCH_SIZE} rows (largest: ${tally.largestBatch})`);
  assert.ok(tally.batches >= EXPIRED_ROWS / BATCH_SIZE, `${tally.batches} batches`);

  assert.equal(await count("id like 'expired-%'"), 0, 'no expired row is left');
  assert.equal(await count("id like 'consumed-live-%'"), 100, 'consumed refresh tokens stay until their own expiry');
  assert.equal(await count("id like 'recently-expired-%'"), 100, 'rows inside the clock-skew margin stay');
  assert.equal(await count("id like 'no-expiry-%'"), 10, 'rows without an expiry stay');
  assert.ok((await count("id not like 'expired-%' and (expires_at is null or expires_at > now())")) >= liveRowsBefore, 'live grants and tokens stay');

  const failed = samples.filter((s) => s.status !== 200);
  assert.deepEqual(failed, [], 'every token request succeeded, before, during and after the cleanup');
  // Requests in flight at some point of the cleanup; of them, some must have been answered in
  // full while it ran (a cleanup that held every request until it finished would leave none).
  const during = samples.filter((s) => s.start < jobEnd && s.end > jobStart);
  const answeredWhileRunning = during.filter((s) => s.start >= jobStart && s.end <= jobEnd);
  assert.ok(answeredWhileRunning.length > 0, 'tokens were issued while the cleanup ran, not only after it');
  const refreshesDuring = during.filter((s) => s.kind === 'refresh_token').length;

  // Figures for the report (not assertions: speed depends on the machine).
  const ms = (list: Sample[]) => list.map((s) => s.end - s.start);
  const ccBefore = ms(samples.filter((s) => s.kind === 'client_credentials' && s.end <= baselineEnd));
  const ccDuring = ms(during.filter((s) => s.kind === 'client_credentials'));
  const rtBefore = ms(samples.filter((s) => s.kind === 'refresh_token' && s.end <= baselineEnd));
  const rtDuring = ms(during.filter((s) => s.kind === 'refresh_token'));
  const figures = [
    `${storageMode()} mode: ${EXPIRED_ROWS} expired rows deleted in ${tally.batches} batches of ≤ ${BATCH_SIZE} (largest ${tally.largestBatch}) in ${Math.round(jobEnd - jobStart)} ms`,
    `client credentials p50/p99 before: ${percentile(ccBefore, 50).toFixed(1)}/${percentile(ccBefore, 99).toFixed(1)} ms (${ccBefore.length} requests)`,
    `client credentials p50/p99 during: ${percentile(ccDuring, 50).toFixed(1)}/${percentile(ccDuring, 99).toFixed(1)} ms (${ccDuring.length} requests)`,
    `refresh rotation p50/p99 before: ${percentile(rtBefore, 50).toFixed(1)}/${percentile(rtBefore, 99).toFixed(1)} ms (${rtBefore.length} requests)`,
    `refresh rotation p50/p99 during: ${percentile(rtDuring, 50).toFixed(1)}/${percentile(rtDuring, 99).toFixed(1)} ms (${refreshesDuring} requests)`,
  ];
  for (const line of figures) t.diagnostic(line);
});

test('one batch deletes at most its limit, the oldest first, and never rows that have not expired', async () => {
  const { db, queries } = server.gatehouse.storage;
  await db.raw(
    `insert into oidc_payloads (model, id, payload, expires_at, created_at)
     select 'RefreshToken', 'limit-' || g, '{}'::jsonb, now() - interval '1 day' + g * interval '1 second', now() from generate_series(1, 250) as g`,
  );
  const cutoff = new Date(Date.now() - 3600_000);
  const oldest = await db('oidc_payloads').where('id', 'like', 'limit-%').orderBy('expires_at').limit(100).pluck('id');
  assert.equal(await queries.oidcPayloads.deleteExpired(cutoff, 100), 100);
  const left = await db('oidc_payloads').where('id', 'like', 'limit-%').pluck('id');
  assert.equal(left.length, 150);
  assert.ok(oldest.every((id: string) => !left.includes(id)), 'the 100 that expired first went first');
  assert.equal(await queries.oidcPayloads.deleteExpired(cutoff, 1000), 150);
  assert.equal(await queries.oidcPayloads.deleteExpired(cutoff, 1000), 0);
});

test('a batch skips a row another transaction holds instead of waiting for it', { skip: SERVICES ? false : 'PGlite has one connection: no second transaction can hold a row meanwhile' }, async () => {
  const { db, queries } = server.gatehouse.storage;
  await db.raw(
    `insert into oidc_payloads (model, id, payload, expires_at, created_at)
     select 'RefreshToken', 'held-' || g, '{}'::jsonb, now() - interval '1 day', now() from generate_series(1, 3) as g`,
  );
  const cutoff = new Date(Date.now() - 3600_000);
  const held = deferred();
  const released = deferred();
  const holder = db.transaction(async (trx) => {
    await trx('oidc_payloads').where({ model: 'RefreshToken', id: 'held-1' }).forUpdate();
    held.resolve();
    await released.promise;
  });
  await held.promise;
  try {
    assert.equal(await queries.oidcPayloads.deleteExpired(cutoff, 1000), 2, 'the two free rows, at once');
  } finally {
    released.resolve();
    await holder;
  }
  assert.equal(await queries.oidcPayloads.deleteExpired(cutoff, 1000), 1, 'the held row goes in the next run');
});
