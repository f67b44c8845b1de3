/**
 * One measurement = a discarded warm-up run followed by a measured run, both bounded in time,
 * with the server's CPU use and logged problems recorded alongside the load generator's figures.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon, { type Options, type Result } from 'autocannon';
import { cpuSeconds, cpuSecondsByName, machineBusySeconds, PINNED, type Server } from './process.ts';

const STORES = new Set(['postgres', 'redis-server']);

/** What a measured run reports, whatever drives the load. */
export interface RunFigures {
  /** Successful (2xx) responses — or completed flows — per second. */
  rate: number;
  /** Milliseconds (autocannon records whole milliseconds). */
  p50: number;
  p99: number;
  non2xx: number;
  /** Socket errors, timeouts included (autocannon counts a timeout as both). */
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** First few failure descriptions (non-autocannon workloads). */
  failures?: string[];
}

/** One measured repetition of one workload against one server. */
export interface Sample extends RunFigures {
  workload: string;
  target: string;
  rep: number;
  /** Cores the server process used during the measurement (1.00 = its pinned core, saturated). */
  serverCpu: number;
  /** Cores this process (the load generator) used during the measurement. */
  loaderCpu: number;
  /** Cores Postgres and Redis (all their processes) used during the measurement. */
  storeCpu: number;
  /** Cores busy on the whole machine during the measurement (of nproc). */
  machineCpu: number;
  /** Server warnings/errors logged during this measurement. */
  serverProblems: number;
  /** Whether the server was confined to one core for this measurement. */
  pinned: boolean;
  /** How many times this measurement was taken (repeated when other processes disturbed it). */
  attempts?: number;
}

export function autocannonFigures(result: Result): RunFigures {
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]));
  const ok = Object.entries(statusCodes).reduce((sum, [code, count]) => sum + (code.startsWith('2') ? count : 0), 0);
  return {
    rate: ok / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
  };
}

/** A plain autocannon run of `seconds`. */
export function autocannonRun(options: Omit<Options, 'duration'>): (seconds: number) => Promise<RunFigures> {
  return async (seconds) => autocannonFigures(await autocannon({ ...options, duration: seconds }));
}

/** Lets a run mark the measured window itself (when its warm-up is contiguous with it). */
export interface MeasureWindow {
  start(): Promise<void>;
  end(): Promise<void>;
}

export interface Measurement {
  workload: string;
  server: Server;
  target: string;
  rep: number;
  warmupSeconds: number;
  seconds: number;
  /**
   * Runs the load for `seconds`: once for the warm-up (result discarded), once measured. A run
   * may call `window.start()`/`end()` to delimit the measured window itself; otherwise the whole
   * measured call is the window.
   */
  run: (seconds: number, phase: 'warmup' | 'measure', window: MeasureWindow) => Promise<RunFigures>;
  /** Untimed preparation before each run (e.g. fresh refresh-token chains). */
  prepare?: () => Promise<void>;
  /** Skip the separate warm-up call: the run warms up itself (it gets warmupSeconds to do so). */
  contiguousWarmup?: boolean;
  /** Whether the server is confined to one core (false when it was given both). */
  pinned?: boolean;
}

const noWindow: MeasureWindow = { start: async () => {}, end: async () => {} };

export async function measure(m: Measurement): Promise<Sample> {
  if (m.warmupSeconds > 0 && !m.contiguousWarmup) {
    await m.prepare?.();
    await m.run(m.warmupSeconds, 'warmup', noWindow);
  }
  await m.prepare?.();
  const pid = m.server.child.pid;
  const loaderSeconds = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
  };
  const snapshot = async () => {
    const at = performance.now();
    const self = loaderSeconds();
    const [cpu, store, busy] = await Promise.all([cpuSeconds(pid), cpuSecondsByName(STORES), machineBusySeconds()]);
    return { at, self, cpu, store, busy };
  };
  let start: Awaited<ReturnType<typeof snapshot>> | undefined;
  let end: Awaited<ReturnType<typeof snapshot>> | undefined;
  let problems = m.server.problems.length;
  const window: MeasureWindow = {
    async start() {
      problems = m.server.problems.length;
      start = await snapshot();
    },
    async end() {
      end = await snapshot();
    },
  };
  const before = await snapshot();
  const figures = await m.run(m.seconds, 'measure', window);
  start ??= before;
  end ??= await snapshot();
  const seconds = (end.at - start.at) / 1000;
  return {
    workload: m.workload,
    target: m.target,
    rep: m.rep,
    ...figures,
    serverCpu: (end.cpu - start.cpu) / seconds,
    loaderCpu: (end.self - start.self) / seconds,
    storeCpu: (end.store - start.store) / seconds,
    machineCpu: (end.busy - start.busy) / seconds,
    serverProblems: m.server.problems.length - problems,
    pinned: (m.pinned ?? true) && PINNED,
  };
}

/**
 * A pinned server under 32 connections should saturate its core; well below that, something else
 * ran on CPU 0 (this machine is shared) or the server waited on I/O.
 */
export const contended = (sample: Sample) => sample.pinned && sample.serverCpu < 0.9;

/** Cores used by processes other than the server, the load generator, Postgres and Redis. */
export const otherCpu = (sample: Sample) => Math.max(0, sample.machineCpu - sample.serverCpu - sample.loaderCpu - sample.storeCpu);

/** Other processes took a noticeable share of the machine: the figures are unreliable. */
export const busyMachine = (sample: Sample) => otherCpu(sample) > 0.25;

export function describeSample(sample: Sample): string {
  const bad = sample.non2xx + sample.errors;
  return (
    `  rep ${sample.rep} ${sample.target.padEnd(22)} ${sample.rate.toFixed(0).padStart(6)}/s  ` +
    `p50 ${sample.p50} ms  p99 ${sample.p99} ms  cpu server ${sample.serverCpu.toFixed(2)} loader ${sample.loaderCpu.toFixed(2)} ` +
    `pg+redis ${sample.storeCpu.toFixed(2)} machine ${sample.machineCpu.toFixed(2)}` +
    (bad > 0 ? `  !! ${sample.non2xx} non-2xx, ${sample.errors} errors (${JSON.stringify(sample.statusCodes)})` : '') +
    (sample.failures?.length ? `  first failure: ${sample.failures[0]}` : '') +
    (sample.serverProblems > 0 ? `  !! server logged ${sample.serverProblems} warning/error line(s)` : '') +
    (contended(sample) ? '  !! server core not saturated' : '') +
    (busyMachine(sample) ? `  !! other processes used ${otherCpu(sample).toFixed(2)} cores` : '')
  );
}

// ---------------------------------------------------------------------------------------------
// This machine is shared: measurements disturbed by other processes are taken again.

/** Extra wall time the whole run may spend waiting for quiet and repeating disturbed measurements. */
export const quietBudget = { seconds: 240, spent: 0 };

const remaining = () => quietBudget.seconds - quietBudget.spent;

/** Cores busy on the whole machine over `seconds` (with the benchmark idle, that is other load). */
async function machineLoad(seconds: number): Promise<number> {
  const before = await machineBusySeconds();
  await sleep(seconds * 1000);
  return ((await machineBusySeconds()) - before) / seconds;
}

/** Waits (at most `maxSeconds`, within the budget) until other processes use < 0.25 core. */
export async function waitForQuiet(maxSeconds: number, say: (text: string) => void = console.log): Promise<void> {
  const started = performance.now();
  const limit = Math.min(maxSeconds, remaining());
  let load = await machineLoad(1);
  if (load < 0.25) return;
  say(`  machine busy (${load.toFixed(2)} cores used by other processes): waiting up to ${limit.toFixed(0)} s for quiet…`);
  while ((performance.now() - started) / 1000 < limit) {
    load = await machineLoad(2);
    if (load < 0.25) break;
  }
  quietBudget.spent += (performance.now() - started) / 1000;
}

/**
 * measure(), repeated (at most twice, within the quiet budget) while other processes took a
 * noticeable share of the machine; keeps the least disturbed attempt.
 */
export async function measureQuietly(m: Measurement): Promise<Sample> {
  let best = await measure(m);
  let last = best;
  let attempts = 1;
  while (busyMachine(last) && attempts < 3 && remaining() > m.warmupSeconds + m.seconds + 10) {
    console.log(`${describeSample(last)}\n    (disturbed: measuring again)`);
    await waitForQuiet(20);
    const started = performance.now();
    last = await measure(m);
    quietBudget.spent += (performance.now() - started) / 1000;
    attempts += 1;
    if (otherCpu(last) < otherCpu(best)) best = last;
  }
  if (attempts > 1) {
    if (last !== best) console.log(`${describeSample(last)}\n    (disturbed too)`);
    console.log(`    (kept the least disturbed of ${attempts} attempts:)`);
  }
  return { ...best, attempts };
}
