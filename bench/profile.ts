/**
 * Where the time of one request goes: Gatehouse in services mode (Postgres + Redis, audit and
 * rate limits on) under one workload, measured in two windows after a warm-up:
 *
 *  1. a plain window: CPU milliseconds per request of the server process, split by thread
 *     (main JS thread, libuv threadpool — where WebCrypto RSA signing and argon2 run — and V8's
 *     helper threads: GC, compiler), plus SQL statements and Redis commands per request counted
 *     inside the server (bench/lib/probe-preload.ts wraps the pg and ioredis clients);
 *  2. a profiled window: the V8 CPU profile of the main thread, its self time bucketed by module
 *     (oidc-provider, Koa, jose, pg, ioredis, our src/ folders, Node internals, GC) and scaled to
 *     the main thread's CPU per request from window 1 (the profiler itself adds overhead).
 *
 *   npx node bench/profile.ts [--workloads cc,refresh,introspection,discovery,jwks,signin]
 *                             [--seconds 8] [--warmup 3] [--connections 32] [--top 12] [--peer] [--doc]
 *
 * --peer profiles bare oidc-provider (bench/peer-server.ts) too, under the workloads it serves
 * (cc, discovery, jwks; introspection of its own opaque token), in the same way and run.
 * --doc rewrites the profile section of docs/performance.md (between the `profile:begin` and
 * `profile:end` markers, which `npm run bench` keeps). Server on CPU 0, load on CPU 1, as in
 * `npm run bench`; CPU per request depends little on machine noise, throughput much more.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { integer } from './lib/args.ts';
import type { RunFigures } from './lib/load.ts';
import { cleanup, onCleanup, pinSelf, ROOT } from './lib/process.ts';
import { addressSource } from './lib/signin.ts';
import { markdownTable } from './lib/stats.ts';
import { type GatehouseTarget, prepareServices, startGatehouse, startPeer, type Target } from './lib/targets.ts';
import {
  clientCredentialsLoad,
  gatehouseOpaqueToken,
  gatehouseRefreshWorkload,
  getLoad,
  introspectionLoad,
  peerOpaqueToken,
  signInWorkload,
} from './lib/workloads.ts';

const WORKLOADS = ['cc', 'refresh', 'introspection', 'discovery', 'jwks', 'signin'] as const;
type Workload = (typeof WORKLOADS)[number];

const { values } = parseArgs({
  options: {
    workloads: { type: 'string', default: 'cc,refresh,introspection,discovery' },
    seconds: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    top: { type: 'string', default: '12' },
    doc: { type: 'boolean', default: false },
    peer: { type: 'boolean', default: false },
  },
});
const options = {
  seconds: integer(values.seconds, '--seconds'),
  warmup: integer(values.warmup, '--warmup', 0),
  connections: integer(values.connections, '--connections'),
  top: integer(values.top, '--top', 0),
};
// Sign-in first: its priming expects each user's first consent, which the other setups give.
const selected = values.workloads.split(',').sort((a, b) => Number(b === 'signin') - Number(a === 'signin')).map((name) => {
  if (!(WORKLOADS as readonly string[]).includes(name)) {
    console.error(`--workloads: unknown ${name} (known: ${WORKLOADS.join(', ')})`);
    process.exit(2);
  }
  return name as Workload;
});

// ---------------------------------------------------------------------------------------------
// Per-thread CPU from /proc

const CLOCK_TICKS = 100;

/** CPU seconds of every thread of `pid`, grouped: main thread, libuv threadpool, V8 helpers, other. */
async function threadCpu(pid: number): Promise<Record<string, number>> {
  const groups: Record<string, number> = { main: 0, threadpool: 0, v8: 0, other: 0 };
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => '');
    if (!stat) continue;
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const seconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    const group = tid === String(pid) ? 'main' : name.startsWith('libuv-worker') ? 'threadpool' : name.startsWith('V8') ? 'v8' : 'other';
    groups[group]! += seconds;
  }
  return groups;
}

// ---------------------------------------------------------------------------------------------
// CPU profile → buckets

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const SRC = `file://${ROOT}/src/`;

/** The bucket of a frame with a URL; undefined for V8 builtins (charged to their caller). */
function bucketOf(url: string, functionName: string): string | undefined {
  if (url === '') {
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(garbage collector)') return 'GC (main thread)';
    if (functionName === '(program)') return 'V8/native (program)';
    if (functionName === '(root)') return '(idle)';
    return undefined;
  }
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
  if (pkg) {
    if (pkg === 'pg' || pkg.startsWith('pg-')) return 'pg driver';
    if (pkg === 'koa' || pkg.startsWith('koa-') || pkg.startsWith('@koa/') || ['koa-compose', 'cookies', 'statuses', 'accepts', 'type-is', 'content-type', 'on-finished', 'http-errors', 'mime-types', 'negotiator', 'fresh', 'vary', 'delegates', 'encodeurl', 'escape-html', 'content-disposition', 'keygrip', 'depd', 'raw-body', 'co-body', 'destroy', 'only'].includes(pkg)) {
      return 'Koa + HTTP helpers';
    }
    if (['ioredis', 'redis-parser', 'cluster-key-slot', 'denque', 'standard-as-callback', '@ioredis/commands', 'redis-errors'].includes(pkg)) return 'ioredis';
    if (['knex', 'tarn', 'pg-connection-string'].includes(pkg)) return 'knex';
    if (['pino', 'sonic-boom', 'fast-redact', '@pinojs/redact', 'pino-std-serializers', 'quick-format-unescaped', 'thread-stream', 'atomic-sleep', 'on-exit-leak-free', 'safe-stable-stringify'].includes(pkg)) return 'pino (logging)';
    if (['prom-client', 'tdigest', 'bintrees'].includes(pkg)) return 'prom-client (metrics)';
    if (pkg === 'rate-limiter-flexible') return 'rate-limiter-flexible';
    if (pkg === 'oidc-provider' || ['quick-lru', 'nanoid', 'eta', 'debug', 'ms'].includes(pkg)) return 'oidc-provider';
    if (pkg === 'jose') return 'jose (JWT/JWS)';
    if (pkg === 'argon2' || pkg === '@phc/format' || pkg === 'node-gyp-build') return 'argon2 (JS side)';
    return `other package: ${pkg}`;
  }
  if (url.startsWith(SRC)) {
    const path = url.slice(SRC.length);
    return `Gatehouse src/${path.includes('/') ? `${path.slice(0, path.indexOf('/'))}/` : path}`;
  }
  if (url.startsWith('node:internal/crypto') || url === 'node:crypto') return 'node crypto (JS side)';
  if (/^node:(_http|internal\/http|http|internal\/streams|stream|net|internal\/stream_base|internal\/net)/.test(url)) return 'node http/net/streams';
  if (url.startsWith('node:') || !url.includes('/')) return 'node other (timers, events, url, buffer…)';
  return `other: ${url}`;
}

function summariseProfile(profile: CpuProfile): { buckets: Map<string, number>; functions: Map<string, number>; totalMs: number } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const bucketFor = new Map<number, string>();
  const resolve = (id: number): string => {
    const cached = bucketFor.get(id);
    if (cached) return cached;
    const node = byId.get(id)!;
    let bucket = bucketOf(node.callFrame.url, node.callFrame.functionName);
    if (!bucket) {
      const up = parent.get(id);
      bucket = up === undefined ? 'V8/native (program)' : resolve(up);
      if (bucket === '(idle)') bucket = 'V8/native (program)';
    }
    bucketFor.set(id, bucket);
    return bucket;
  };
  const buckets = new Map<string, number>();
  const functions = new Map<string, number>();
  let totalMs = 0;
  // timeDeltas[i] is the time before sample i: charge it to the sample before (the one that ran).
  for (let i = 0; i < profile.samples.length; i++) {
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const id = profile.samples[i]!;
    const bucket = resolve(id);
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + ms);
    totalMs += ms;
    if (bucket === '(idle)') continue;
    const frame = byId.get(id)!.callFrame;
    const where = frame.url ? `${frame.url.replace(`file://${ROOT}/`, '').replace(/^.*node_modules\//, '')}:${frame.lineNumber + 1}` : '(builtin)';
    const key = `${frame.functionName || '(anonymous)'} ${where}`;
    functions.set(key, (functions.get(key) ?? 0) + ms);
  }
  return { buckets, functions, totalMs };
}

// ---------------------------------------------------------------------------------------------
// Windows

interface Probe {
  counts: {
    sql: Record<string, number>;
    redis: Record<string, number>;
    redisKeys: Record<string, number>;
    redisRoundTrips: number;
    /** process.memoryUsage() at the end of the window, MiB. */
    memoryMiB: Record<string, number>;
  };
  profile?: CpuProfile;
}

async function window(gh: Target, base: string, mode: 'count' | 'profile', work: () => Promise<RunFigures>) {
  const pid = gh.server.child.pid!;
  await rm(`${base}.json`, { force: true });
  await rm(`${base}.cpuprofile`, { force: true });
  await writeFile(`${base}.control`, mode);
  process.kill(pid, 'SIGUSR2');
  await sleep(100);
  const before = await threadCpu(pid);
  const figures = await work();
  const after = await threadCpu(pid);
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + 30_000;
  while (!existsSync(`${base}.json`)) {
    if (Date.now() > deadline) throw new Error('the server did not write its probe counts');
    await sleep(50);
  }
  const probe: Probe = { counts: JSON.parse(await readFile(`${base}.json`, 'utf8')) };
  if (mode === 'profile') probe.profile = JSON.parse(await readFile(`${base}.cpuprofile`, 'utf8'));
  const cpu = Object.fromEntries(Object.keys(before).map((key) => [key, after[key]! - before[key]!]));
  return { figures, probe, cpu };
}

interface WorkloadResult {
  server: string;
  workload: Workload;
  requests: number;
  rate: number;
  p99: number;
  cpuMs: Record<string, number>;
  sql: Record<string, number>;
  redis: Record<string, number>;
  redisKeys: Record<string, number>;
  redisRoundTrips: number;
  memoryMiB: Record<string, number>;
  buckets: Array<[string, number]>;
  functions: Array<[string, number]>;
}

const perOp = (table: Record<string, number>, n: number) => Object.fromEntries(Object.entries(table).map(([k, v]) => [k, v / n]));
const sum = (table: Record<string, number>) => Object.values(table).reduce((a, b) => a + b, 0);

async function profileWorkload(target: Target, base: string, workload: Workload, nextIp: () => string): Promise<WorkloadResult> {
  const c = options.connections;
  const gh = target as GatehouseTarget;
  const peer = !('users' in target);
  let prepare: (() => Promise<void>) | undefined;
  let run: (seconds: number) => Promise<RunFigures>;
  let unit = 1; // requests per "operation" (a sign-in flow is one operation)
  switch (workload) {
    case 'cc':
      run = clientCredentialsLoad(gh, c);
      break;
    case 'jwks':
      run = getLoad(`${gh.url}/jwks`, c);
      break;
    case 'discovery':
      run = getLoad(`${gh.url}/.well-known/openid-configuration`, c);
      break;
    case 'introspection': {
      if (peer) {
        run = introspectionLoad(target, target.authorization, await peerOpaqueToken(target), c);
        break;
      }
      const token = await gatehouseOpaqueToken(gh, nextIp());
      const authorization = `Basic ${Buffer.from(`${encodeURIComponent(gh.web!.clientId)}:${encodeURIComponent(gh.web!.clientSecret)}`).toString('base64')}`;
      run = introspectionLoad(gh, authorization, token, c);
      break;
    }
    case 'refresh': {
      const refresh = gatehouseRefreshWorkload(gh, { connections: c, nextIp });
      await refresh.check();
      prepare = refresh.prepare;
      run = (seconds) => refresh.run(seconds);
      break;
    }
    case 'signin': {
      const signin = signInWorkload(gh, { workers: Math.min(c, gh.users.length), nextIp });
      await signin.prime();
      const noWindow = { start: async () => {}, end: async () => {} };
      run = (seconds) => signin.run(seconds, 0, noWindow);
      unit = 1;
      break;
    }
  }
  const once = async (seconds: number) => {
    await prepare?.();
    return run(seconds);
  };
  if (options.warmup > 0) await once(options.warmup);
  await prepare?.();
  const plain = await window(gh, base, 'count', () => run(options.seconds));
  await prepare?.();
  const profiled = await window(gh, base, 'profile', () => run(options.seconds));
  const requests = Math.round(plain.figures.rate * options.seconds) * unit;
  const { buckets, functions, totalMs } = summariseProfile(profiled.probe.profile!);
  const profiledRequests = Math.max(1, Math.round(profiled.figures.rate * options.seconds) * unit);
  // Scale the profile's main-thread shares to the main thread's CPU per request in the plain window.
  const mainMs = (plain.cpu.main! * 1000) / requests;
  const busyMs = totalMs - (buckets.get('(idle)') ?? 0);
  const scale = busyMs > 0 ? mainMs / busyMs : 0;
  void profiledRequests;
  return {
    server: peer ? 'peer' : 'Gatehouse',
    workload,
    requests,
    rate: plain.figures.rate,
    p99: plain.figures.p99,
    cpuMs: Object.fromEntries(Object.entries(plain.cpu).map(([k, v]) => [k, (v * 1000) / requests])),
    sql: perOp(plain.probe.counts.sql, requests),
    redis: perOp(plain.probe.counts.redis, requests),
    redisKeys: perOp(plain.probe.counts.redisKeys, requests),
    redisRoundTrips: plain.probe.counts.redisRoundTrips / requests,
    memoryMiB: plain.probe.counts.memoryMiB,
    buckets: [...buckets].filter(([name]) => name !== '(idle)').map(([name, ms]) => [name, ms * scale] as [string, number]).sort((a, b) => b[1] - a[1]),
    functions: [...functions].map(([name, ms]) => [name, ms * scale] as [string, number]).sort((a, b) => b[1] - a[1]).slice(0, options.top),
  };
}

// ---------------------------------------------------------------------------------------------
// Report

const ms = (value: number) => (value >= 10 ? value.toFixed(1) : value.toFixed(3));
const LABEL: Record<Workload, string> = {
  cc: 'client credentials → RS256 JWT (POST /token)',
  refresh: 'refresh-token rotation (POST /token)',
  introspection: 'introspection (POST /token/introspection)',
  discovery: 'discovery (GET /.well-known/openid-configuration)',
  jwks: 'JWKS (GET /jwks)',
  signin: 'full sign-in flow (5 requests + code exchange)',
};

function countText(table: Record<string, number>): string {
  const entries = Object.entries(table).filter(([, v]) => v >= 0.005).sort((a, b) => b[1] - a[1]);
  return entries.length ? `${sum(table).toFixed(2)} (${entries.map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')})` : '0';
}

function report(results: WorkloadResult[]): string {
  const lines: string[] = [];
  lines.push(
    markdownTable(
      [
        ['workload', 'req/s (this window)', 'CPU ms/req: process', 'main thread', 'threadpool (RSA, argon2)', 'V8 helpers (GC, JIT)', 'SQL statements/req', 'Redis commands/req', 'Redis round trips/req'],
        ...results.map((r) => [
          `${LABEL[r.workload]}${r.server === 'peer' ? ' — **peer**' : ''}`,
          r.rate.toFixed(0),
          ms(sum(r.cpuMs)),
          ms(r.cpuMs.main!),
          ms(r.cpuMs.threadpool!),
          ms(r.cpuMs.v8!),
          countText(r.sql),
          countText(r.redis),
          r.redisRoundTrips.toFixed(2),
        ]),
      ],
      ['l', 'r', 'r', 'r', 'r', 'r', 'l', 'l', 'r'],
    ),
  );
  for (const r of results) {
    const main = r.cpuMs.main!;
    const shown = r.buckets.filter(([, v]) => v >= main * 0.01);
    const rest = r.buckets.filter(([, v]) => v < main * 0.01);
    lines.push('', `**${LABEL[r.workload]}${r.server === 'peer' ? ', bare oidc-provider (peer)' : ''}**: main thread ${ms(main)} ms/req, by module (self time):`, '');
    lines.push(
      markdownTable(
        [
          ['module', 'ms/req', 'share of main thread'],
          ...shown.map(([name, v]) => [name, ms(v), `${((v / main) * 100).toFixed(1)} %`]),
          ...(rest.length ? [[`${rest.length} more modules (< 1 % each)`, ms(sum(Object.fromEntries(rest))), `${((sum(Object.fromEntries(rest)) / main) * 100).toFixed(1)} %`]] : []),
        ],
        ['l', 'r', 'r'],
      ),
    );
    const mem = r.memoryMiB;
    lines.push('', `Memory at the end of the counted window: RSS ${mem.rss} MiB (V8 heap ${mem.heapUsed} used of ${mem.heapTotal}, external ${mem.external}, array buffers ${mem.arrayBuffers}).`);
    if (sum(r.redisKeys) > 0) lines.push('', `Redis commands per request by key: ${countText(r.redisKeys).replace(/^[\d.]+ \((.*)\)$/, '$1')}.`);
    if (options.top > 0) {
      lines.push('', `Top functions (self time, ms/req): ${r.functions.map(([name, v]) => `\`${name}\` ${ms(v)}`).join('; ')}.`);
    }
  }
  return lines.join('\n');
}

const BEGIN = '<!-- profile:begin -->';
const END = '<!-- profile:end -->';

async function writeDoc(summary: string, results: WorkloadResult[]): Promise<void> {
  const file = join(ROOT, 'docs', 'performance.md');
  const doc = await readFile(file, 'utf8');
  const section = `${BEGIN}\n<!-- Generated by \`npx node bench/profile.ts --workloads ${[...new Set(results.map((r) => r.workload))].join(',')}${values.peer ? ' --peer' : ''} --doc\` on ${new Date().toISOString().slice(0, 16)}Z. -->\n\n${summary}\n${END}`;
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  const next = start >= 0 && end > start ? `${doc.slice(0, start)}${section}${doc.slice(end + END.length)}` : `${doc.trimEnd()}\n\n${section}\n`;
  await writeFile(file, next);
  console.log(`wrote the profile section of ${file}`);
}

async function main(): Promise<void> {
  pinSelf();
  const services = await prepareServices();
  if (typeof services === 'string') throw new Error(`services mode (Postgres + Redis) is required: ${services}`);
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-profile-'));
  onCleanup(() => rm(dir, { recursive: true, force: true }));
  const base = join(dir, 'probe');
  const needsUsers = selected.some((w) => w === 'refresh' || w === 'introspection' || w === 'signin');
  console.log(`profile: ${selected.join(', ')} — ${options.warmup} s warm-up, then ${options.seconds} s counted + ${options.seconds} s profiled each`);
  const gh = await startGatehouse('Gatehouse (services)', {
    modeEnv: services,
    extraEnv: { GATEHOUSE_TRUST_PROXY: 'true', BENCH_PROBE_OUT: base },
    webClient: needsUsers,
    users: needsUsers ? Math.max(options.connections, 2) : 0,
    nodeArgs: ['--import', './bench/lib/probe-preload.ts'],
  });
  const nextIp = addressSource();
  const results: WorkloadResult[] = [];
  for (const workload of selected) {
    const result = await profileWorkload(gh, base, workload, nextIp);
    results.push(result);
    console.log(`  ${workload}: ${result.rate.toFixed(0)}/s, ${ms(sum(result.cpuMs))} CPU ms/req`);
  }
  if (values.peer) {
    const peerBase = join(dir, 'peer-probe');
    const peer = await startPeer({ env: { BENCH_PROBE_OUT: peerBase }, nodeArgs: ['--import', './bench/lib/probe-preload.ts'] });
    for (const workload of selected.filter((w) => ['cc', 'discovery', 'jwks', 'introspection'].includes(w))) {
      const result = await profileWorkload(peer, peerBase, workload, nextIp);
      results.push(result);
      console.log(`  peer ${workload}: ${result.rate.toFixed(0)}/s, ${ms(sum(result.cpuMs))} CPU ms/req`);
    }
  }
  const summary = report(results);
  console.log(`\n${summary}`);
  if (values.doc) await writeDoc(summary, results);
}

try {
  await main();
} catch (error) {
  console.error(`\nprofile failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
process.exit();
