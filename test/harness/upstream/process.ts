/** Starts the test upstream OpenID provider (./op.ts) as its own process and waits for its discovery document. */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../server-process.ts';

export interface UpstreamUser {
  email?: string;
  email_verified?: boolean;
  name?: string;
  groups?: string[];
  amr?: string[];
}

export interface Upstream {
  issuer: string;
  child: ChildProcess;
  /** Makes the token endpoint misbehave (see op.ts), or behave again with 'normal'. */
  setMode(mode: 'normal' | 'wrong_audience' | 'expired' | 'wrong_nonce' | 'bad_signature' | 'unknown_kid' | 'token_error'): Promise<void>;
  stop(): Promise<void>;
}

export async function startUpstream(input: {
  users: Record<string, UpstreamUser>;
  /** oidc-provider client metadata (a secret, or `token_endpoint_auth_method: 'private_key_jwt'` with `jwks`). */
  clients: Array<{ client_id: string; client_secret?: string; redirect_uris: string[]; token_endpoint_auth_method?: string; jwks?: { keys: unknown[] } }>;
}): Promise<Upstream> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [join(import.meta.dirname, 'op.ts')], {
    env: { ...process.env, UPSTREAM_PORT: String(port), UPSTREAM_USERS: JSON.stringify(input.users), UPSTREAM_CLIENTS: JSON.stringify(input.clients) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`upstream exited with ${child.exitCode}: ${output}`);
    try {
      if ((await fetch(`${issuer}/.well-known/openid-configuration`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`upstream did not start: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    issuer,
    child,
    async setMode(mode) {
      const response = await fetch(`${issuer}/__mode`, { method: 'POST', body: JSON.stringify({ mode }) });
      if (response.status !== 204) throw new Error(`upstream mode not set: ${response.status}`);
    },
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
