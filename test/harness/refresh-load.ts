/**
 * Refresh-token chains under load, for fault and shutdown tests: chains signed in through an
 * instance's real pages, then refreshed in a loop across instances, the way a fleet of clients
 * keeps its sessions alive. Every answer is counted; a chain that gets anything but 200 or 503
 * is lost and stops.
 */
import * as oidc from 'openid-client';
import { Browser } from './browser.ts';
import { authorizationRequestUrl, createUser, createWebClient, REDIRECT_URI, signInThroughPages } from './fixtures.ts';
import type { TestServer } from './server.ts';

export interface Client {
  clientId: string;
  clientSecret: string;
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  retryAfter: string | null;
  /** Set when no HTTP answer came (connection refused or reset, deadline). */
  networkError?: string;
}

/** POST /token with client_secret_basic and a deadline; never throws. */
export async function tokenCall(baseUrl: string, client: Client, body: Record<string, string>, deadlineMs = 30_000): Promise<Answer> {
  try {
    const response = await fetch(`${baseUrl}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`,
      },
      body: new URLSearchParams(body),
      signal: AbortSignal.timeout(deadlineMs),
    });
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = { raw: text.slice(0, 200) };
    }
    return { status: response.status, body: parsed, retryAfter: response.headers.get('retry-after') };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return { status: 0, body: {}, retryAfter: null, networkError: cause?.code ?? (error as Error).name };
  }
}

export interface Chain {
  client: Client;
  /** The newest refresh token the client holds. */
  token: string;
  successes: number;
}

/** `count` users each sign in to one client through `signInAt`'s pages; `admin` creates them. */
export async function signInChains(admin: TestServer, signInAt: string, count: number, redeemAt = signInAt): Promise<Chain[]> {
  const client = await createWebClient(admin);
  const chains: Chain[] = [];
  for (let i = 0; i < count; i += 1) {
    const user = await createUser(admin);
    const verifier = oidc.randomPKCECodeVerifier();
    const url = await authorizationRequestUrl(signInAt, client.clientId, verifier);
    const { callback } = await signInThroughPages({ url: signInAt } as TestServer, url, user, new Browser());
    const tokens = await tokenCall(redeemAt, client, {
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code')!,
      code_verifier: verifier,
      redirect_uri: REDIRECT_URI,
    });
    if (tokens.status !== 200) throw new Error(`code redemption failed: ${JSON.stringify(tokens)}`);
    chains.push({ client, token: String(tokens.body.refresh_token), successes: 0 });
  }
  return chains;
}

export interface RefreshLoad {
  /** Answers by status (0 = no HTTP answer). */
  counts: Map<number, number>;
  /** Every answer that was neither 200 nor 503, and every 503 without Retry-After. */
  unexpected: Array<{ chain: number; answer: Answer }>;
  /** Resolves once `check` holds (checked after every answer), or rejects after `withinMs`. */
  until(check: () => boolean, what: string, withinMs?: number): Promise<void>;
  /** Every chain has succeeded at least `more` times since this call. */
  allSucceededAgain(more?: number, withinMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Refreshes every chain in a loop, round-robin over `instances`. A 503 keeps the chain's token
 * (the client retries it after a short pause); a 200 replaces it; anything else loses the chain.
 */
export function startRefreshLoad(chains: Chain[], instances: string[], options: { pauseAfter503Ms?: number } = {}): RefreshLoad {
  const counts = new Map<number, number>();
  const unexpected: RefreshLoad['unexpected'] = [];
  let running = true;
  let waiters: Array<() => void> = [];
  const notify = () => {
    for (const waiter of waiters.splice(0)) waiter();
  };
  const loops = chains.map(async (chain, index) => {
    for (let round = index; running; round += 1) {
      const answer = await tokenCall(instances[round % instances.length]!, chain.client, { grant_type: 'refresh_token', refresh_token: chain.token });
      counts.set(answer.status, (counts.get(answer.status) ?? 0) + 1);
      if (answer.status === 200) {
        chain.token = String(answer.body.refresh_token);
        chain.successes += 1;
      } else if (answer.status !== 503 || !answer.retryAfter) {
        unexpected.push({ chain: index, answer });
        notify();
        return;
      }
      notify();
      if (answer.status === 503) await new Promise((resolve) => setTimeout(resolve, options.pauseAfter503Ms ?? 100));
    }
  });
  const until = async (check: () => boolean, what: string, withinMs = 120_000) => {
    const deadline = Date.now() + withinMs;
    while (!check()) {
      if (unexpected.length > 0) throw new Error(`while waiting for ${what}: unexpected answers ${JSON.stringify(unexpected.slice(0, 3))}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (answers so far: ${JSON.stringify([...counts])})`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 1000).unref();
      });
    }
  };
  return {
    counts,
    unexpected,
    until,
    allSucceededAgain(more = 2, withinMs = 120_000) {
      const marks = chains.map((chain) => chain.successes);
      return until(() => chains.every((chain, i) => chain.successes >= marks[i]! + more), `every chain to refresh ${more} more times`, withinMs);
    },
    async stop() {
      running = false;
      waiters = [];
      await Promise.all(loops);
    },
  };
}
