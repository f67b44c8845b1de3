/**
 * Store outages while many refresh-token chains refresh across two real instances (`node
 * src/main.ts` processes). Redis is a redis-server of this test's own (killed, restarted empty,
 * paused); Postgres is reached through a TCP proxy this test controls (cut, blackholed) and its
 * connections are terminated by an administrator. After each fault: no chain lost, no 500 —
 * every failure a 503 with Retry-After, answered within the client's deadline — and the same
 * processes serve again without a restart. Services mode only (test/run.ts runs this folder there).
 */
import assert from 'node:assert/strict';
import { after, before, type TestContext, test } from 'node:test';
import pg from 'pg';
import { createApi, createMachineClient } from '../harness/fixtures.ts';
import { storageEnv } from '../harness/mode.ts';
import { type OwnRedis, redisServerMissing, startOwnRedis } from '../harness/redis-server.ts';
import { type Chain, type RefreshLoad, signInChains, startRefreshLoad, tokenCall } from '../harness/refresh-load.ts';
import { startServer, type TestServer } from '../harness/server.ts';
import { clusterSecrets, freePort, type ServerProcess, startServerProcess } from '../harness/server-process.ts';
import { startTcpProxy } from '../harness/tcp-proxy.ts';

const CHAINS = 16;
const missing = redisServerMissing();
if (missing) process.stdout.write(`\n!! SKIPPED test/concurrency/faults.test.ts: ${missing}\n\n`);
const skip = missing ? `needs its own Redis: ${missing}` : false;

let admin: TestServer;
let redis: OwnRedis;
let pgProxy: Awaited<ReturnType<typeof startTcpProxy>>;
let databaseUrl: string;
let a: ServerProcess;
let b: ServerProcess;
let chains: Chain[];
let machine: { clientId: string; clientSecret: string };

before(async () => {
  if (missing) return;
  admin = await startServer();
  redis = await startOwnRedis();
  databaseUrl = (await storageEnv()).DATABASE_URL!;
  const direct = new URL(databaseUrl);
  pgProxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
  const proxied = new URL(databaseUrl);
  proxied.port = String(pgProxy.port);
  const secrets = clusterSecrets();
  const portA = await freePort();
  const env = { ...secrets, DATABASE_URL: proxied.href, REDIS_URL: redis.url, GATEHOUSE_ISSUER: `http://127.0.0.1:${portA}` };
  [a, b] = await Promise.all([startServerProcess({ ...env, PORT: String(portA) }), startServerProcess(env)]);
  chains = await signInChains(admin, a.url, CHAINS, b.url);
  machine = await createMachineClient(admin, await createApi(admin));
});
after(async () => {
  redis?.resume();
  pgProxy?.heal();
  await Promise.all([a?.stop(), b?.stop()]);
  await admin?.close();
  await redis?.stop();
  await pgProxy?.close();
});

/** Runs `fault` under load; afterwards every chain must have refreshed twice more, and all answers were 200 or 503. */
async function underLoad(t: TestContext, fault: (load: RefreshLoad) => Promise<void>) {
  const load = startRefreshLoad(chains, [a.url, b.url]);
  try {
    await load.allSucceededAgain(1);
    await fault(load);
    await load.allSucceededAgain(2);
  } catch (error) {
    // What the instances said about it (a reuse verdict carries its reason).
    for (const [name, instance] of [['A', a], ['B', b]] as const) {
      for (const line of instance.output().split('\n').filter((l) => /reused|server_error|request failed/.test(l))) t.diagnostic(`${name}: ${line.slice(0, 600)}`);
    }
    throw error;
  } finally {
    await load.stop();
  }
  t.diagnostic(`answers by status: ${JSON.stringify(Object.fromEntries(load.counts))}`);
  assert.deepEqual(load.unexpected, [], 'every answer was a 200 or a 503 with Retry-After');
  assert.deepEqual(
    [...load.counts.keys()].filter((status) => status !== 200 && status !== 503),
    [],
    `no 500, no 4xx, no connection error (answers: ${JSON.stringify([...load.counts])})`,
  );
  // Zero chains lost: each chain's newest token works, at either instance.
  for (const [i, chain] of chains.entries()) {
    const answer = await tokenCall(i % 2 === 0 ? a.url : b.url, chain.client, { grant_type: 'refresh_token', refresh_token: chain.token });
    assert.equal(answer.status, 200, `chain ${i} is alive: ${JSON.stringify(answer)}`);
    chain.token = String(answer.body.refresh_token);
  }
  assert.equal(a.child.exitCode, null, 'instance A was never restarted');
  assert.equal(b.child.exitCode, null, 'instance B was never restarted');
}

const unavailable = (load: RefreshLoad) => load.counts.get(503) ?? 0;
const answered = (load: RefreshLoad) => [...load.counts.values()].reduce((sum, n) => sum + n, 0);

/** Breaks a store, keeps it broken until the chains have met the outage (16 more 503s), then heals it. */
async function outage(load: RefreshLoad, what: string, breakIt: () => unknown, heal: () => unknown) {
  const before = unavailable(load);
  await breakIt();
  try {
    await load.until(() => unavailable(load) >= before + CHAINS, `refreshes to answer 503 while ${what}`);
  } finally {
    await heal();
  }
}

test('Redis killed, then restarted empty: refreshes answer 503 meanwhile, no chain is lost', { skip }, async (t) => {
  await underLoad(t, (load) => outage(load, 'Redis is down', () => redis.kill(), () => redis.start()));
});

test('Redis paused (SIGSTOP): refreshes answer 503 within the deadline, no chain is lost; JWT access tokens keep coming', { skip }, async (t) => {
  await underLoad(t, (load) =>
    outage(
      load,
      'Redis is paused',
      async () => {
        redis.pause();
        // The token endpoint reads the shared failed-authentication limiter from Redis first; past
        // the command deadline it falls back to its in-process insurance limiter, so a grant that
        // needs nothing else from Redis still succeeds.
        const issued = await tokenCall(a.url, machine, { grant_type: 'client_credentials' });
        assert.equal(issued.status, 200, `client credentials while Redis is paused: ${JSON.stringify(issued)}`);
      },
      () => redis.resume(),
    ),
  );
});

test('Postgres connections terminated by an administrator (pg_terminate_backend), again and again: no chain is lost', { skip }, async (t) => {
  const operator = new pg.Client({ connectionString: databaseUrl });
  await operator.connect();
  try {
    await underLoad(t, async (load) => {
      for (let round = 0; round < 5; round += 1) {
        const mark = answered(load);
        let terminated = 0;
        while (terminated === 0) {
          // The instances reconnect on demand: wait for their new connections, then end them again.
          const { rows } = await operator.query<{ ended: boolean }>(
            'select pg_terminate_backend(pid) as ended from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
          );
          terminated = rows.filter((row) => row.ended).length;
          if (terminated === 0) await load.until(() => answered(load) > mark, 'traffic');
        }
        await load.until(() => answered(load) >= mark + CHAINS, 'traffic after the termination');
      }
    });
  } finally {
    await operator.end();
  }
});

test('Postgres link cut (connections reset, new ones refused): refreshes answer 503, no chain is lost', { skip }, async (t) => {
  await underLoad(t, (load) => outage(load, 'the link is cut', () => pgProxy.cut(), () => pgProxy.restore()));
});

test('Postgres link blackholed (nothing forwarded, nothing closed): refreshes answer 503 within the deadline, no chain is lost', { skip }, async (t) => {
  await underLoad(t, (load) => outage(load, 'the link is silent', () => pgProxy.blackhole(), () => pgProxy.heal()));
});
