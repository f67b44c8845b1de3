/** Starts the test upstream OpenID provider (./op.ts) as its own process and waits for its discovery document. */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort, spawnUntilReady } from '../server-process.ts';

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
  const started = await spawnUntilReady({
    name: 'upstream',
    script: join(import.meta.dirname, 'op.ts'),
    env: { ...process.env, UPSTREAM_PORT: String(port), UPSTREAM_USERS: JSON.stringify(input.users), UPSTREAM_CLIENTS: JSON.stringify(input.clients) },
    readyUrl: `${issuer}/.well-known/openid-configuration`,
    deadlineMs: 60_000,
  });
  return {
    issuer,
    child: started.child,
    async setMode(mode) {
      const response = await fetch(`${issuer}/__mode`, { method: 'POST', body: JSON.stringify({ mode }) });
      if (response.status !== 204) throw new Error(`upstream mode not set: ${response.status}`);
    },
    stop: async () => {
      await started.stop();
    },
  };
}
