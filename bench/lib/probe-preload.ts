/**
 * Preloaded into a Gatehouse server by bench/profile.ts (`node --import ./bench/lib/probe-preload.ts`);
 * never part of the product. Counts what the server sends to its stores and, on demand, profiles
 * its main thread, all within a window the benchmark opens and closes with SIGUSR2:
 *
 *   1st SIGUSR2: reset the counters; start the V8 CPU profiler when `<BENCH_PROBE_OUT>.control`
 *                says `profile`;
 *   2nd SIGUSR2: stop; write `<BENCH_PROBE_OUT>.json` (counts) and `<BENCH_PROBE_OUT>.cpuprofile`.
 *
 * Counts: every SQL statement the pg driver sends (by its first keyword), every Redis command
 * ioredis sends (by name), and Redis round trips (a MULTI/pipeline is one round trip).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { Pipeline, Redis } from 'ioredis';
import pg from 'pg';

const out = process.env.BENCH_PROBE_OUT;

const counts = { sql: {} as Record<string, number>, redis: {} as Record<string, number>, redisKeys: {} as Record<string, number>, redisRoundTrips: 0 };

/** `get oidc:Session:uid:*`: the command with its key's shape (prefix, ids and addresses elided). */
const keyShape = (name: string, key: unknown) =>
  `${name} ${String(key ?? '')
    .replace(/^gatehouse-bench-[0-9a-f]+:/, '')
    .replace(/[A-Za-z0-9_.@|-]{16,}|\d+\.\d+\.\d+\.\d+/g, '*')}`;
const bump = (table: Record<string, number>, key: string) => {
  table[key] = (table[key] ?? 0) + 1;
};

const pgQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function query(this: pg.Client, ...args: unknown[]) {
  const config = args[0] as string | { text?: string } | undefined;
  const text = typeof config === 'string' ? config : (config?.text ?? '');
  bump(counts.sql, (/^\s*(\w+)/.exec(text)?.[1] ?? '?').toLowerCase());
  return (pgQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof pgQuery;

const redisPrototype = Redis.prototype as unknown as { sendCommand(command: { name: string; args?: unknown[] }, stream?: unknown): unknown };
const sendCommand = redisPrototype.sendCommand;
redisPrototype.sendCommand = function sendCommandCounted(this: unknown, command, stream) {
  bump(counts.redis, command.name);
  bump(counts.redisKeys, keyShape(command.name, (command as { args?: unknown[] }).args?.[0]));
  // Commands of a pipeline come with the pipeline's stream; the pipeline itself is counted in exec.
  if (stream === undefined) counts.redisRoundTrips += 1;
  return sendCommand.call(this, command, stream);
};
const pipelinePrototype = Pipeline.prototype as unknown as { exec(...args: unknown[]): unknown };
const exec = pipelinePrototype.exec;
// A MULTI calls exec twice (ioredis transaction.js): count each pipeline once.
const executed = new WeakSet<object>();
pipelinePrototype.exec = function execCounted(this: object, ...args: unknown[]) {
  if (!executed.has(this)) counts.redisRoundTrips += 1;
  executed.add(this);
  return exec.apply(this, args);
};

let session: Session | undefined;
let open = false;
process.on('SIGUSR2', () => {
  void (async () => {
    if (!open) {
      open = true;
      counts.sql = {};
      counts.redis = {};
      counts.redisKeys = {};
      counts.redisRoundTrips = 0;
      const control = out ? readFileSync(`${out}.control`, 'utf8').trim() : '';
      if (control === 'profile') {
        session = new Session();
        session.connect();
        await session.post('Profiler.setSamplingInterval', { interval: 200 });
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
      }
      return;
    }
    open = false;
    if (session) {
      const { profile: cpuProfile } = await session.post('Profiler.stop');
      session.disconnect();
      session = undefined;
      if (out) writeFileSync(`${out}.cpuprofile`, JSON.stringify(cpuProfile));
    }
    const memory = process.memoryUsage();
    Object.assign(counts, { memoryMiB: Object.fromEntries(Object.entries(memory).map(([k, v]) => [k, Math.round(v / 1048576)])) });
    // Written aside and renamed: the benchmark polls for this file and must never see it half-written.
    if (out) {
      writeFileSync(`${out}.json.tmp`, JSON.stringify(counts));
      renameSync(`${out}.json.tmp`, `${out}.json`);
    }
  })();
});
