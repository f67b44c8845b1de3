/**
 * Process plumbing shared by the benchmarks: a cleanup stack unwound once whichever way the run
 * ends, CPU pinning, server children with their output watched, and /proc readings (CPU, RSS).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

export const ROOT = join(import.meta.dirname, '..', '..');

// ---------------------------------------------------------------------------------------------
// Cleanup: a stack unwound once, whichever way the run ends (not on SIGKILL).

const cleanups: Array<() => Promise<unknown> | unknown> = [];
let cleaning: Promise<void> | undefined;

export function onCleanup(step: () => Promise<unknown> | unknown): void {
  cleanups.push(step);
}

export function cleanup(): Promise<void> {
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
// CPU placement

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Servers on CPU 0, this process (and so the load generator) on CPU 1 — when the box allows it. */
export const PINNED = hasTaskset() && availableParallelism() >= 2;
export const SERVER_CPUS = '0';
export const LOADER_CPUS = '1';
export const ALL_CPUS = '0,1';

/** Sets the CPU affinity of every thread of a running process (-a: the libuv pool too). */
export function setAffinity(pid: number, cpus: string): void {
  if (PINNED) execFileSync('taskset', ['-a', '-c', '-p', cpus, String(pid)], { stdio: 'ignore' });
}

/** Pins the load generator; children spawned later (the CLI) inherit CPU 1 too. */
export function pinSelf(): void {
  if (PINNED) setAffinity(process.pid, LOADER_CPUS);
  else console.warn('WARNING: taskset missing or fewer than 2 CPUs: servers and load generator are NOT pinned.');
}

// ---------------------------------------------------------------------------------------------
// Servers

/** Child processes inherit this, minus anything that would switch Gatehouse's mode or logging. */
export const baseEnv: Record<string, string | undefined> = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !/^(GATEHOUSE_|DATABASE_URL$|REDIS_URL$|LOG_LEVEL$|NODE_ENV$|PORT$)/.test(key)),
);

export interface Server {
  name: string;
  child: ChildProcess;
  /** Last lines of output, for failure messages. */
  tail: string[];
  /** Warnings and errors logged after the server became ready (pino level >= 40, or stderr). */
  problems: string[];
  ready: boolean;
}

/**
 * Extra node flags for the servers, e.g. BENCH_SERVER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'
 * to profile them under a workload (--only …); not allowed in NODE_OPTIONS.
 */
const SERVER_NODE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);

/** Starts `node <args>` on CPU 0 (or `cpus`). taskset execs node, so the child's pid is the server's. */
export function startServer(name: string, args: string[], env: Record<string, string | undefined>, extraNodeArgs: string[] = [], cpus = SERVER_CPUS): Server {
  const nodeArgs = [...SERVER_NODE_ARGS, ...extraNodeArgs, ...args];
  const [command, argv] = PINNED ? ['taskset', ['-c', cpus, process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  const child = spawn(command, argv as string[], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const server: Server = { name, child, tail: [], problems: [], ready: false };
  const watch = (stream: NodeJS.ReadableStream, isStderr: boolean) =>
    createInterface({ input: stream }).on('line', (line) => {
      server.tail.push(line);
      if (server.tail.length > 40) server.tail.shift();
      if (server.ready && (isStderr || pinoLevel(line) >= 40)) server.problems.push(line);
    });
  watch(child.stdout!, false);
  watch(child.stderr!, true);
  onCleanup(() => stopProcess(child));
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

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  // Gatehouse drains for up to 10 s; a benchmark has no in-flight work worth waiting for.
  if ((await Promise.race([exited.then(() => true), sleep(5000, false)])) === false) child.kill('SIGKILL');
}

export function failure(server: Server, message: string): Error {
  return new Error(`${message}\n--- last output of ${server.name} ---\n${server.tail.join('\n')}`);
}

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** A fresh embedded data directory has taken over 60 s to start on this shared machine (the test harness allows 180 s too). */
const START_DEADLINE_SECONDS = 180;

export async function waitUntil(server: Server, check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + START_DEADLINE_SECONDS * 1000;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) throw failure(server, `${what}: server exited`);
    if (await check().catch(() => false)) {
      server.ready = true;
      return;
    }
    await sleep(100);
  }
  throw failure(server, `${what}: not ready after ${START_DEADLINE_SECONDS} s`);
}

// ---------------------------------------------------------------------------------------------
// /proc readings

/** Seconds of CPU (user + system) a process has used so far. */
export async function cpuSeconds(pid: number | undefined): Promise<number> {
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

/** CPU seconds of this process's children that have exited and been reaped (cutime + cstime). */
export async function reapedChildrenCpuSeconds(): Promise<number> {
  try {
    const stat = await readFile('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds used so far by every process whose command name is in `names` (e.g. postgres, redis-server). */
export async function cpuSecondsByName(names: ReadonlySet<string>): Promise<number> {
  let total = 0;
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (!names.has(name)) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

/** Busy CPU seconds of the whole machine so far (all CPUs, from /proc/stat). */
export async function machineBusySeconds(): Promise<number> {
  try {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!;
    const [, user, nice, system, _idle, _iowait, irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    return (user! + nice! + system! + irq! + softirq! + steal!) / 100;
  } catch {
    return Number.NaN;
  }
}

/** Resident set size in MiB (VmRSS), or NaN once the process is gone. */
export async function rssMiB(pid: number | undefined): Promise<number> {
  if (pid === undefined) return Number.NaN;
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kib = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
    return kib / 1024;
  } catch {
    return Number.NaN;
  }
}

/** Samples a process's RSS every `everyMs`; `max` is the highest reading since the last reset. */
export function rssSampler(pid: number | undefined, everyMs = 500) {
  const state = { last: Number.NaN, max: 0, samples: 0 };
  const timer = setInterval(async () => {
    const value = await rssMiB(pid);
    if (Number.isNaN(value)) return;
    state.last = value;
    state.samples += 1;
    if (value > state.max) state.max = value;
  }, everyMs);
  timer.unref();
  const stop = () => clearInterval(timer);
  onCleanup(stop);
  return {
    state,
    stop,
    /** Forgets the maximum so far (e.g. to start measuring "under load" after an idle reading). */
    reset() {
      state.max = 0;
      state.samples = 0;
    },
  };
}
