/** Where and on what a benchmark ran: for the report header and the JSON results. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { ROOT } from './process.ts';

export function gitCommit(): string | undefined {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit}-dirty` : commit;
  } catch {
    return undefined;
  }
}

/** Installed CPUs (`nproc --all`): plain `nproc` would report this pinned process's one CPU. */
function nproc(): number {
  try {
    return Number(execFileSync('nproc', ['--all'], { encoding: 'utf8' }).trim());
  } catch {
    return availableParallelism();
  }
}

function cpuModel(): string {
  try {
    const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1];
    if (model) return model.trim();
  } catch {
    // not Linux: fall through
  }
  return cpus()[0]?.model ?? 'unknown';
}

function osRelease(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? process.platform;
  } catch {
    return process.platform;
  }
}

export function machineInfo() {
  return {
    nproc: nproc(),
    cpu: cpuModel(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: osRelease(),
    node: process.version,
    openssl: process.versions.openssl,
  };
}
