/**
 * Client-credentials token issuance: Gatehouse against bare oidc-provider (bench/peer-server.ts),
 * measured in the same run so machine drift affects both alike.
 *
 *   npx node bench/client-credentials.ts [--duration 10] [--warmup 3] [--reps 3] [--connections 32] [--json]
 *
 * Method (as in ../shared/reference/performance-anchors.md): every server is pinned to CPU 0 with
 * `taskset -c 0`; this process — and so autocannon, which runs in it — pins itself to CPU 1. The
 * load is loopback-only, keep-alive, bounded in time. Each run is a discarded warm-up followed by
 * a measurement; repetitions are interleaved across targets, with the order rotated every
 * repetition, so drift and position effects hit every target alike. Postgres and Redis (services
 * mode) are system daemons and are not pinned: they may take time from either CPU.
 *
 * All servers stay up for the whole run; the idle ones only run timers (Gatehouse's key poll).
 * Children, temp dirs, the bench database and the Redis prefix are removed on every exit path
 * the process can observe (normal end, error, SIGINT/SIGTERM) — not on SIGKILL.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, promisify } from 'node:util';
import autocannon, { type Result } from 'autocannon';
import { Redis } from 'ioredis';
import pg from 'pg';

const ROOT = join(import.meta.dirname, '..');
const API = 'https://api.bench.example';
const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    reps: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    json: { type: 'boolean', default: false },
  },
});

function integer(value: string, flag: string, min = 1): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) {
    console.error(`${flag} must be an integer >= ${min} (got ${value})`);
    process.exit(2);
  }
  return number;
}

const options = {
  duration: integer(values.duration, '--duration'),
  warmup: integer(values.warmup, '--warmup', 0),
  reps: integer(values.reps, '--reps'),
  connections: integer(values.connections, '--connections'),
};

// ---------------------------------------------------------------------------------------------
// Cleanup: a stack unwound once, whichever way the run ends.

const cleanups: Array<() => Promise<unknown> | unknown> = [];
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const step of cleanups.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        console.error('cleanup step failed:', error);
      }
    }
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping servers and cleaning up…`);
    void cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// Processes

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const PINNED = hasTaskset() && availableParallelism() >= 2;
if (PINNED) {
  // -a: every thread, so the libuv pool and anything spawned later (the CLI) inherit CPU 1 too.
  execFileSync('taskset', ['-a', '-c', '-p', '1', String(process.pid)], { stdio: 'ignore' });
} else {
  console.warn('WARNING: taskset missing or fewer than 2 CPUs: servers and load generator are NOT pinned.');
}

/** Child processes inherit this, minus anything that would switch Gatehouse's mode or logging. */
const baseEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !/^(GATEHOUSE_|DATABASE_URL$|REDIS_URL$|LOG_LEVEL$|NODE_ENV$|PORT$)/.test(key)),
);

interface Server {
  child: ChildProcess;
  /** Last lines of output, for failure messages. */
  tail: string[];
  /** Warnings and errors logged after the server became ready (pino level >= 40, or stderr). */
  problems: string[];
  ready: boolean;
}

/** Starts `node <args>` on CPU 0. taskset execs node, so the child's pid is the server's. */
function startServer(args: string[], env: Record<string, string | undefined>): Server {
  const [command, argv] = PINNED ? ['taskset', ['-c', '0', process.execPath, ...args]] : [process.execPath, args];
  const child = spawn(command, argv as string[], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const server: Server = { child, tail: [], problems: [], ready: false };
  const watch = (stream: NodeJS.ReadableStream, isStderr: boolean) =>
    createInterface({ input: stream }).on('line', (line) => {
      server.tail.push(line);
      if (server.tail.length > 40) server.tail.shift();
      if (server.ready && (isStderr || pinoLevel(line) >= 40)) server.problems.push(line);
    });
  watch(child.stdout!, false);
  watch(child.stderr!, true);
  cleanups.push(() => stopProcess(child));
  return server;
}

function pinoLevel(line: string): number {
  if (!line.startsWith('{')) return 0;
  try {
    return Number((JSON.parse(line) as { level?: unknown }).level) || 0;
  } catch {
    return 0;
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  // Gatehouse drains for up to 10 s; a benchmark has no in-flight work worth waiting for.
  if ((await Promise.race([exited.then(() => true), sleep(5000, false)])) === false) child.kill('SIGKILL');
}

function failure(server: Server, message: string): Error {
  return new Error(`${message}\n--- last output ---\n${server.tail.join('\n')}`);
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function waitUntil(server: Server, check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) throw failure(server, `${what}: server exited`);
    if (await check().catch(() => false)) {
      server.ready = true;
      return;
    }
    await sleep(100);
  }
  throw failure(server, `${what}: not ready after 60 s`);
}

/** Seconds of CPU (user + system) a process has used so far, from /proc. */
async function cpuSeconds(pid: number | undefined): Promise<number> {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const CLOCK_TICKS = 100; // USER_HZ is 100 on every mainstream Linux build.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

// ---------------------------------------------------------------------------------------------
// Targets

interface Target {
  name: string;
  url: string;
  authorization: string;
  server: Server;
}

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

async function startPeer(): Promise<Target> {
  const clientId = 'bench';
  const clientSecret = randomBytes(32).toString('base64url');
  const server = startServer(['bench/peer-server.ts'], { ...baseEnv, BENCH_CLIENT_ID: clientId, BENCH_CLIENT_SECRET: clientSecret });
  let url = '';
  server.child.stdout!.on('data', (chunk: Buffer) => {
    url ||= /READY (\S+)/.exec(chunk.toString())?.[1] ?? '';
  });
  await waitUntil(server, async () => url !== '', 'oidc-provider peer');
  return { name: 'oidc-provider (peer)', url, authorization: basic(clientId, clientSecret), server };
}

const run = promisify(execFile);

/** Registers the API and the client with the CLI (before the server holds the data dir), then starts it. */
async function startGatehouse(name: string, modeEnv: Record<string, string>): Promise<Target> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const port = await freePort();
  const env = {
    ...baseEnv,
    ...modeEnv,
    PORT: String(port),
    GATEHOUSE_ISSUER: `http://127.0.0.1:${port}`,
    GATEHOUSE_DATA_DIR: join(dir, 'data'),
    GATEHOUSE_KEYS_DIR: join(dir, 'keys'),
    // Request logging at info would be part of the measurement; warnings still show up below.
    LOG_LEVEL: 'warn',
  };
  const cli = (...args: string[]) => run(process.execPath, ['src/cli/main.ts', ...args], { cwd: ROOT, env });
  await cli('apis', 'create', '--identifier', API, '--name', 'Bench', '--scopes', 'read');
  const { stdout } = await cli(
    'clients', 'create', '--name', 'bench', '--type', 'confidential', '--grant-types', 'client_credentials',
    '--resources', API, '--scopes', 'read', '--json',
  );
  const client = JSON.parse(stdout) as { clientId: string; clientSecret: string };

  const url = `http://127.0.0.1:${port}`;
  const server = startServer(['src/main.ts'], env);
  await waitUntil(server, async () => (await fetch(`${url}/healthz`)).ok, name);
  return { name, url, authorization: basic(client.clientId, client.clientSecret), server };
}

/**
 * Short-lived admin connections, opened again for cleanup: an idle one held through minutes of
 * load could drop and take the cleanup (or, via an unhandled 'error' event, the run) with it.
 */
async function withPostgres(work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await work(client);
  } finally {
    await client.end().catch(() => {});
  }
}

async function withRedis(work: (redis: Redis) => Promise<unknown>): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 1, retryStrategy: () => null });
  // Failures surface through the awaited commands; keep the socket error, which says more than theirs.
  let socketError: Error | undefined;
  redis.on('error', (error: Error) => {
    socketError ??= error;
  });
  try {
    await redis.connect();
    await work(redis);
  } catch (error) {
    throw socketError ?? error;
  } finally {
    redis.disconnect();
  }
}

/** A fresh database and Redis prefix, or the reason services mode cannot run here. */
async function prepareServices(): Promise<Record<string, string> | string> {
  const suffix = randomBytes(4).toString('hex');
  const database = `gatehouse_bench_${suffix}`;
  const prefix = `gatehouse-bench-${suffix}:`;
  try {
    await withRedis((redis) => redis.ping());
  } catch (error) {
    return `Redis at ${REDIS_URL}: ${(error as Error).message}`;
  }
  try {
    await withPostgres((client) => client.query(`CREATE DATABASE ${database}`));
  } catch (error) {
    return `Postgres at ${POSTGRES_ADMIN_URL}: ${(error as Error).message}`;
  }
  cleanups.push(() => withPostgres((client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)));
  cleanups.push(() =>
    withRedis(async (redis) => {
      for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 1000 }) as AsyncIterable<string[]>) {
        if (keys.length > 0) await redis.del(...keys);
      }
    }),
  );

  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${database}`;
  return { DATABASE_URL: url.toString(), REDIS_URL, GATEHOUSE_REDIS_PREFIX: prefix };
}

// ---------------------------------------------------------------------------------------------
// Load

const BODY = 'grant_type=client_credentials&scope=read';

/** One real request first: benchmarking a stream of 401s would produce a meaningless rate. */
async function checkTokenResponse(target: Target): Promise<void> {
  const response = await fetch(`${target.url}/token`, {
    method: 'POST',
    headers: { authorization: target.authorization, 'content-type': 'application/x-www-form-urlencoded' },
    body: BODY,
  });
  const text = await response.text();
  const token = response.ok ? (JSON.parse(text) as { access_token?: string }).access_token : undefined;
  const header = token ? (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as { typ?: string; alg?: string }) : {};
  if (header.typ !== 'at+jwt' || header.alg !== 'RS256') {
    throw failure(target.server, `${target.name}: expected an RS256 at+jwt, got ${response.status} ${text.slice(0, 300)}`);
  }
}

function load(target: Target, seconds: number): Promise<Result> {
  return autocannon({
    url: `${target.url}/token`,
    method: 'POST',
    headers: { authorization: target.authorization, 'content-type': 'application/x-www-form-urlencoded' },
    body: BODY,
    connections: options.connections,
    duration: seconds,
  });
}

interface Sample {
  target: string;
  rep: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  non2xx: number;
  /** Socket errors, timeouts included (autocannon counts a timeout as both). */
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** Cores the server process used during the measurement (1.00 = its pinned core, saturated). */
  serverCpu: number;
  /** Server warnings/errors logged during this run. */
  serverProblems: number;
}

async function measure(target: Target, rep: number): Promise<Sample> {
  if (options.warmup > 0) await load(target, options.warmup);
  const problemsBefore = target.server.problems.length;
  const cpuBefore = await cpuSeconds(target.server.child.pid);
  const started = performance.now();
  const result = await load(target, options.duration);
  const serverCpu = ((await cpuSeconds(target.server.child.pid)) - cpuBefore) / ((performance.now() - started) / 1000);
  return {
    target: target.name,
    rep,
    reqPerSec: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count])),
    serverCpu,
    serverProblems: target.server.problems.length - problemsBefore,
  };
}

// ---------------------------------------------------------------------------------------------
// Report

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const range = (values: number[], digits: number) =>
  `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ')).join('\n');
}

/**
 * A pinned server under 32 connections should saturate its core; well below that, something else
 * ran on CPU 0 (this machine is shared) and the run says little about the server.
 */
const contended = (sample: Sample) => PINNED && sample.serverCpu < 0.9;

function report(targets: Target[], samples: Sample[], skipped: string | undefined): object {
  const of = (target: Target) => samples.filter((sample) => sample.target === target.name);
  const rows = [['target', 'req/s median (min–max)', 'p50 ms', 'p99 ms', 'server CPU', 'non-2xx', 'errors', 'flag']];
  const summary = targets.map((target) => {
    const runs = of(target);
    const failed = runs.reduce((sum, run) => sum + run.non2xx, 0);
    const errors = runs.reduce((sum, run) => sum + run.errors, 0);
    const flag = [failed + errors > 0 ? 'ERRORS' : '', runs.some(contended) ? 'CONTENDED' : ''].filter(Boolean).join(' ');
    rows.push([
      target.name,
      range(runs.map((run) => run.reqPerSec), 0),
      median(runs.map((run) => run.p50)).toFixed(0),
      median(runs.map((run) => run.p99)).toFixed(0),
      median(runs.map((run) => run.serverCpu)).toFixed(2),
      String(failed),
      String(errors),
      flag,
    ]);
    return { target: target.name, reqPerSec: median(runs.map((run) => run.reqPerSec)), flagged: flag !== '', runs };
  });
  console.log(`\n${table(rows)}`);

  // Ratio of medians, and in brackets the range of per-repetition ratios (same time window each).
  const peer = targets[0]!;
  const ratios = targets.slice(1).map((target) => {
    const perRep = of(target).map((run) => run.reqPerSec / (of(peer).find((p) => p.rep === run.rep)?.reqPerSec ?? Number.NaN));
    const ratio = median(of(target).map((run) => run.reqPerSec)) / median(of(peer).map((run) => run.reqPerSec));
    console.log(`${target.name} ÷ peer: ${ratio.toFixed(2)} (per repetition ${Math.min(...perRep).toFixed(2)}–${Math.max(...perRep).toFixed(2)})`);
    return { target: target.name, ratio, perRepetition: perRep };
  });
  if (skipped) console.log(`Gatehouse (services) ÷ peer: SKIPPED — ${skipped}`);
  if (samples.some(contended)) {
    console.log('CONTENDED: a server used < 0.90 of its core in some run: other load on CPU 0 (rerun when idle), or it waited on I/O.');
  }

  for (const target of targets) {
    if (target.server.problems.length === 0) continue;
    console.log(`\n${target.name} logged ${target.server.problems.length} warning/error line(s); first ones:`);
    for (const line of target.server.problems.slice(0, 5)) console.log(`  ${line.slice(0, 400)}`);
  }
  return { summary, ratios, skipped };
}

function gitCommit(): string | undefined {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit}-dirty` : commit;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const perRun = options.warmup + options.duration;
  console.log(
    `client_credentials: ${options.connections} connections, ${options.warmup} s warm-up + ${options.duration} s measured, ` +
      `${options.reps} repetitions, servers ${PINNED ? 'on CPU 0, load on CPU 1' : 'unpinned'}, Node ${process.version}`,
  );

  const services = await prepareServices();
  const skipped = typeof services === 'string' ? services : undefined;
  if (skipped) {
    console.warn(`\n${'!'.repeat(78)}\n!! Gatehouse services mode SKIPPED: ${skipped}\n${'!'.repeat(78)}\n`);
  }
  // The peer first: every ratio is relative to it. Setup runs concurrently to save wall time.
  const targets = await Promise.all([
    startPeer(),
    startGatehouse('Gatehouse (embedded)', {}),
    ...(typeof services === 'string' ? [] : [startGatehouse('Gatehouse (services)', services)]),
  ]);
  for (const target of targets) await checkTokenResponse(target);
  console.log(`targets ready; ${targets.length * options.reps * perRun} s of load follows`);

  const samples: Sample[] = [];
  for (let rep = 1; rep <= options.reps; rep++) {
    // Rotate the order so no target always runs first (or right after the heaviest one).
    const order = targets.map((_, index) => targets[(index + rep - 1) % targets.length]!);
    for (const target of order) {
      const sample = await measure(target, rep);
      samples.push(sample);
      const bad = sample.non2xx + sample.errors;
      console.log(
        `  rep ${rep} ${target.name.padEnd(22)} ${sample.reqPerSec.toFixed(0).padStart(6)} req/s  ` +
          `p50 ${sample.p50} ms  p99 ${sample.p99} ms  cpu ${sample.serverCpu.toFixed(2)}` +
          (bad > 0 ? `  !! ${sample.non2xx} non-2xx, ${sample.errors} errors (${JSON.stringify(sample.statusCodes)})` : '') +
          (contended(sample) ? '  !! server core contended' : ''),
      );
    }
  }

  const summary = report(targets, samples, skipped);
  if (values.json) {
    const dir = join(ROOT, 'bench', 'results');
    await mkdir(dir, { recursive: true });
    const file = join(dir, `cc-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    const meta = { date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, pinned: PINNED, commit: gitCommit(), options };
    await writeFile(file, `${JSON.stringify({ meta, ...summary }, null, 2)}\n`);
    console.log(`\nresults written to ${file}`);
  }
}

try {
  await main();
} catch (error) {
  console.error(`\nbenchmark failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
// Lingering handles (pg, autocannon agents) must not keep a finished benchmark alive.
process.exit();
