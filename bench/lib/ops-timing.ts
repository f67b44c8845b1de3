/**
 * What an operator waits for, timed from outside: a CLI command against the running server, and
 * an embedded server's start (fresh data directory, then again on the same one) until discovery
 * answers. Each timing records how much CPU other processes took meanwhile (BUSY when > 0.25 core).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { waitForQuiet } from './load.ts';
import { ALL_CPUS, baseEnv, cpuSeconds, freePort, machineBusySeconds, onCleanup, PINNED, ROOT, reapedChildrenCpuSeconds, startServer, stopProcess } from './process.ts';
import type { ShippedSettings } from './shipped-settings.ts';

const run = promisify(execFile);

export interface Timing {
  seconds: number;
  /** Cores used by everything else on the machine meanwhile (the timed process excluded). */
  otherCores: number;
  /** CPU seconds of the timed process itself: steadier than `seconds` on a busy machine. */
  cpuSeconds: number;
  failure?: string;
}

/** Wall time of `work`, with the machine's other load over the same interval. */
async function timed(work: () => Promise<{ ownCpuSeconds: number; failure?: string }>): Promise<Timing> {
  const busyBefore = await machineBusySeconds();
  const selfBefore = process.cpuUsage();
  const started = performance.now();
  const { ownCpuSeconds, failure } = await work();
  const seconds = (performance.now() - started) / 1000;
  const self = process.cpuUsage(selfBefore);
  const busy = (await machineBusySeconds()) - busyBefore;
  const otherCores = Math.max(0, (busy - ownCpuSeconds - (self.user + self.system) / 1e6) / seconds);
  return { seconds, otherCores, cpuSeconds: ownCpuSeconds, ...(failure ? { failure } : {}) };
}

/**
 * `gatehouse <args>` against the running server (its env points the CLI at its admin socket), `times`
 * times; the CLI may use both cores, as an operator's shell would.
 */
export async function timeCliCommand(env: Record<string, string | undefined>, args: string[], times: number): Promise<Timing[]> {
  const [command, prefix] = PINNED ? ['taskset', ['-c', ALL_CPUS, process.execPath]] : [process.execPath, []];
  const timings: Timing[] = [];
  for (let i = 0; i < times; i++) {
    timings.push(
      await timed(async () => {
        const before = await reapedChildrenCpuSeconds();
        try {
          await run(command, [...prefix, 'src/cli/main.ts', ...args], { cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024 });
          return { ownCpuSeconds: (await reapedChildrenCpuSeconds()) - before };
        } catch (error) {
          const stderr = (error as { stderr?: string }).stderr ?? (error as Error).message;
          return { ownCpuSeconds: (await reapedChildrenCpuSeconds()) - before, failure: stderr.trim().split('\n')[0]!.slice(0, 200) };
        }
      }),
    );
  }
  return timings;
}

export interface StartTimings {
  first: Timing[];
  later: Timing[];
}

/**
 * Embedded starts: `reps` first starts, each on a fresh data and keys directory (migrations, key
 * generation), then `reps` later starts on the last one; each until GET discovery answers 200,
 * then stopped. The server may use both cores (nothing else of the bench runs meanwhile).
 */
export async function timeEmbeddedStarts(settings: ShippedSettings, reps: number, say: (line: string) => void): Promise<StartTimings> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-start-'));
  onCleanup(() => rm(dir, { recursive: true, force: true }));
  const result: StartTimings = { first: [], later: [] };
  let dataDir = '';
  for (const kind of ['first', 'later'] as const) {
    for (let rep = 1; rep <= reps; rep++) {
      if (kind === 'first') dataDir = join(dir, `run-${rep}`);
      await waitForQuiet(20, say);
      const timing = await startOnce(settings, dataDir);
      result[kind].push(timing);
      say(
        `  embedded ${kind} start ${rep}: ${timing.seconds.toFixed(1)} s, ${timing.cpuSeconds.toFixed(1)} s of CPU (other processes ${timing.otherCores.toFixed(2)} cores)${timing.failure ? ` FAILED: ${timing.failure}` : ''}`,
      );
    }
  }
  return result;
}

async function startOnce(settings: ShippedSettings, dataDir: string): Promise<Timing> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    ...baseEnv,
    ...settings.env,
    PORT: String(port),
    GATEHOUSE_ISSUER: url,
    GATEHOUSE_DATA_DIR: join(dataDir, 'data'),
    GATEHOUSE_KEYS_DIR: join(dataDir, 'keys'),
    LOG_LEVEL: 'warn',
  };
  let server: ReturnType<typeof startServer> | undefined;
  const timing = await timed(async () => {
    server = startServer('Gatehouse (embedded start)', ['src/main.ts'], env, settings.nodeArgs, ALL_CPUS);
    const deadline = performance.now() + 180_000;
    while (performance.now() < deadline) {
      if (server.child.exitCode !== null || server.child.signalCode !== null) {
        return { ownCpuSeconds: 0, failure: `exited: ${server.tail.slice(-3).join(' | ').slice(0, 300)}` };
      }
      const ok = await fetch(`${url}/.well-known/openid-configuration`).then(
        (response) => response.body?.cancel().then(() => response.ok) ?? response.ok,
        () => false,
      );
      if (ok) return { ownCpuSeconds: await cpuSeconds(server.child.pid) };
      await sleep(25);
    }
    return { ownCpuSeconds: await cpuSeconds(server.child.pid), failure: 'discovery did not answer within 180 s' };
  });
  if (server) await stopProcess(server.child);
  return timing;
}
