/**
 * The yardstick of the sign-in target: CPU milliseconds of one argon2id hash at the server's
 * parameters, measured in a child process pinned like the server (bench/argon2-cpu.ts).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { machineBusySeconds, PINNED, ROOT, SERVER_CPUS } from './process.ts';

const run = promisify(execFile);

export interface Argon2Cost {
  /** Per hash: CPU of the child process (all threads), and wall time. */
  cpuMs: number;
  wallMs: number;
  hashes: number;
  memoryKib: number;
  timeCost: number;
  /** Cores other processes used meanwhile. */
  otherCores: number;
}

export async function argon2HashCost(env: Record<string, string | undefined>, hashes = 20): Promise<Argon2Cost> {
  const argv = ['bench/argon2-cpu.ts', String(hashes)];
  const [command, args] = PINNED ? ['taskset', ['-c', SERVER_CPUS, process.execPath, ...argv]] : [process.execPath, argv];
  const busyBefore = await machineBusySeconds();
  const started = performance.now();
  const { stdout } = await run(command, args as string[], { cwd: ROOT, env });
  const seconds = (performance.now() - started) / 1000;
  const busy = (await machineBusySeconds()) - busyBefore;
  const { processCpuMs, ...cost } = JSON.parse(stdout.trim().split('\n').at(-1)!) as Omit<Argon2Cost, 'otherCores'> & { processCpuMs: number };
  // This process only waited; the rest of the machine's busy time beyond the child's is others'.
  const otherCores = Math.max(0, (busy - processCpuMs / 1000) / seconds);
  return { ...cost, otherCores };
}
