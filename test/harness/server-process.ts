import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { storageEnv } from './mode.ts';
import { TEST_ENV } from './server.ts';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<number | null>;
}

/** Secrets every instance of one cluster shares, as an operator would configure them. */
export function clusterSecrets(): Record<string, string> {
  return {
    GATEHOUSE_KEY_ENCRYPTION_SECRET: process.env.GATEHOUSE_TEST_KEY_ENCRYPTION_SECRET ?? randomBytes(32).toString('base64url'),
    GATEHOUSE_COOKIE_KEYS: randomBytes(32).toString('base64url'),
  };
}

/** A child process started by `spawnUntilReady`: its output so far, and a SIGTERM that waits for the exit. */
export interface ReadyChild {
  child: ChildProcess;
  output(): string;
  stop(): Promise<number | null>;
}

/**
 * The one way the harness starts a process of its own (a Gatehouse server, the test upstream
 * OP): `node script` with `env`, its output kept, polled at `readyUrl` until it answers 2xx; it
 * fails with the output when the process exits first or `deadlineMs` passes.
 */
export async function spawnUntilReady(input: { name: string; script: string; env: NodeJS.ProcessEnv; readyUrl: string; deadlineMs: number }): Promise<ReadyChild> {
  const child = spawn(process.execPath, [input.script], { env: input.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const deadline = Date.now() + input.deadlineMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${input.name} exited with ${child.exitCode}: ${output}`);
    try {
      if ((await fetch(input.readyUrl)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${input.name} did not start: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    child,
    output: () => output,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}

/** Starts `node src/main.ts` as a separate process, as production runs it, and waits for /healthz. */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const port = Number(env.PORT ?? (await freePort()));
  const url = `http://127.0.0.1:${port}`;
  const started = await spawnUntilReady({
    name: 'server',
    script: join(import.meta.dirname, '..', '..', 'src', 'main.ts'),
    env: { ...process.env, ...TEST_ENV, LOG_LEVEL: 'warn', ...(await storageEnv()), GATEHOUSE_ISSUER: url, ...env, PORT: String(port) },
    readyUrl: `${url}/healthz`,
    // Generous: a fresh embedded data directory (PGlite + every migration) on a 2-core machine that
    // may be running other suites (seen: 67 s at a load average of 24). A deadline, not a measure.
    deadlineMs: 180_000,
  });
  return { url, ...started };
}
