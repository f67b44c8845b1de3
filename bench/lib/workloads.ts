/**
 * The load of each workload, as a `run(seconds)` for measure(): autocannon for single-request
 * workloads (a constant request, or per-request bodies for refresh-token rotation), a fetch-based
 * closed loop for the multi-request browser sign-in.
 */
import autocannon from 'autocannon';
import { autocannonFigures, autocannonRun, type MeasureWindow, type RunFigures } from './load.ts';
import { CookieJar, signIn } from './signin.ts';
import { basic, CC_BODY, type Credentials, type GatehouseTarget, type PeerTarget, pool, type Target } from './targets.ts';

const FORM = 'application/x-www-form-urlencoded';

export function clientCredentialsLoad(target: Target, connections: number) {
  return autocannonRun({
    url: `${target.url}/token`,
    method: 'POST',
    headers: { authorization: target.authorization, 'content-type': FORM },
    body: CC_BODY,
    connections,
  });
}

/** GET of a static document (JWKS, discovery). */
export function getLoad(url: string, connections: number) {
  return autocannonRun({ url, method: 'GET', connections });
}

export function introspectionLoad(target: Target, authorization: string, token: string, connections: number) {
  return autocannonRun({
    url: `${target.url}/token/introspection`,
    method: 'POST',
    headers: { authorization, 'content-type': FORM },
    body: new URLSearchParams({ token }).toString(),
    connections,
  });
}

/** Checks that `token` introspects as active before it is hammered (an inactive one is a cheaper path). */
export async function checkIntrospection(target: Target, authorization: string, token: string): Promise<void> {
  const response = await fetch(`${target.url}/token/introspection`, {
    method: 'POST',
    headers: { authorization, 'content-type': FORM },
    body: new URLSearchParams({ token }),
  });
  const body = (await response.json().catch(() => ({}))) as { active?: boolean };
  if (response.status !== 200 || body.active !== true) {
    throw new Error(`${target.name}: introspection of the bench token gave ${response.status} ${JSON.stringify(body)}`);
  }
}

/** An opaque access token from the peer (client_credentials with its opaque resource). */
export async function peerOpaqueToken(peer: Target): Promise<string> {
  const response = await fetch(`${peer.url}/token`, {
    method: 'POST',
    headers: { authorization: peer.authorization, 'content-type': FORM },
    body: `${CC_BODY}&resource=${encodeURIComponent('urn:bench:opaque')}`,
  });
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token || body.access_token.includes('.')) throw new Error(`peer: no opaque token (${JSON.stringify(body)})`);
  return body.access_token;
}

/** An opaque access token from Gatehouse: a sign-in without `resource` gives one for userinfo. */
export async function gatehouseOpaqueToken(gh: GatehouseTarget, ip: string): Promise<string> {
  const { tokens } = await signIn({ url: gh.url, client: gh.web!, user: gh.users[0]!, ip, scope: 'openid' });
  if (tokens.access_token.includes('.')) throw new Error('Gatehouse: the sign-in gave a JWT access token, expected an opaque one');
  return tokens.access_token;
}

/**
 * Refresh-token rotation: every request presents a refresh token never used before. Ready tokens
 * sit in one pool; each request takes one and its 200 response puts the successor back, so the
 * 32 connections keep 32 independent chains going (a chain's order does not depend on which
 * connection carries it). Tokens in flight when a run stops are abandoned — their successors may
 * have been issued — so every run starts from fresh chains (`newChains`), created before the run
 * and outside its measurement. The same load shape drives Gatehouse and the peer.
 */
export function refreshWorkload(target: Target, options: { connections: number; client: Credentials; newChains: (count: number) => Promise<string[]> }) {
  const ready: string[] = [];
  const failures: string[] = [];
  let exhausted = 0;
  const authorization = basic(options.client.clientId, options.client.clientSecret);

  const prepare = async () => {
    ready.length = 0;
    ready.push(...(await options.newChains(options.connections)));
  };

  /** One rotation outside the load: the chain must yield a new, different refresh token. */
  const check = async () => {
    await prepare();
    const token = ready.pop()!;
    const response = await fetch(`${target.url}/token`, {
      method: 'POST',
      headers: { authorization, 'content-type': FORM },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }),
    });
    const body = (await response.json()) as { refresh_token?: string; id_token?: string };
    if (response.status !== 200 || !body.refresh_token || body.refresh_token === token) {
      throw new Error(`${target.name}: refresh check gave ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
    }
  };

  const run = async (seconds: number): Promise<RunFigures> => {
    const result = await autocannon({
      url: `${target.url}/token`,
      method: 'POST',
      headers: { authorization, 'content-type': FORM },
      connections: options.connections,
      duration: seconds,
      requests: [
        {
          method: 'POST',
          path: '/token',
          setupRequest: (request) => {
            const token = ready.pop();
            if (token === undefined) exhausted += 1;
            return { ...request, body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(token ?? 'exhausted')}` };
          },
          onResponse: (status, body) => {
            if (status === 200) {
              ready.push((JSON.parse(body) as { refresh_token: string }).refresh_token);
            } else if (failures.length < 5) {
              failures.push(`${status} ${body.slice(0, 200)}`);
            }
          },
        },
      ],
    });
    const figures = autocannonFigures(result);
    const notes = exhausted > 0 ? [`${exhausted} request(s) found no chain left (a chain died earlier)`] : [];
    const out = { ...figures, failures: [...failures, ...notes] };
    failures.length = 0;
    exhausted = 0;
    return out;
  };

  return { prepare, check, run };
}

/** Gatehouse's chains: one browser sign-in each (prompt=consent, offline_access), 8 at a time. */
export function gatehouseRefreshWorkload(gh: GatehouseTarget, options: { connections: number; nextIp: () => string }) {
  let nextUser = 0;
  const newChains = (count: number) =>
    pool(Array.from({ length: count }), 8, async () => {
      const user = gh.users[nextUser++ % gh.users.length]!;
      const { tokens } = await signIn({ url: gh.url, client: gh.web!, user, ip: options.nextIp(), scope: 'openid offline_access', prompt: 'consent' });
      if (!tokens.refresh_token) throw new Error('Gatehouse: the code exchange gave no refresh token');
      return tokens.refresh_token;
    });
  return refreshWorkload(gh, { connections: options.connections, client: gh.web!, newChains });
}

/** The peer's chains: saved through its models by its setup route (bench/peer-server.ts). */
export function peerRefreshWorkload(peer: PeerTarget, options: { connections: number }) {
  const newChains = async (count: number) => {
    const response = await fetch(`${peer.url}/bench/refresh-chains?count=${count}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${peer.web.clientSecret}` },
    });
    if (response.status !== 200) throw new Error(`peer: refresh chains gave ${response.status} ${(await response.text()).slice(0, 200)}`);
    return (await response.json()) as string[];
  };
  return refreshWorkload(peer, { connections: options.connections, client: peer.web, newChains });
}

/**
 * Full browser sign-ins by `workers` concurrent users in a closed loop, each flow: GET /auth
 * (prompt=login) → login page → POST password (argon2id) → consent remembered → code → POST /token.
 * Each user keeps one cookie jar (its browser), so the grant its first, primed flow consented to
 * is found again; every flow comes from a new X-Forwarded-For address. The warm-up runs
 * contiguously before the measured window; flows count when they complete inside the window.
 */
export function signInWorkload(gh: GatehouseTarget, options: { workers: number; nextIp: () => string }) {
  const jars = gh.users.map(() => new CookieJar());
  let primed = false;

  /**
   * Each user's first sign-in in its browser (untimed): login, and consent unless an earlier
   * workload already granted it (consent is remembered per user and client, across browsers).
   */
  const prime = async () => {
    if (primed) return;
    primed = true;
    await pool(gh.users, options.workers, async (user, index) => {
      const { pages } = await signIn({ url: gh.url, client: gh.web!, user, jar: jars[index]!, ip: options.nextIp() });
      if (pages.login !== 1 || pages.consent > 1) throw new Error(`priming ${user.email}: expected login (+ consent once), saw ${JSON.stringify(pages)}`);
    });
  };

  const run = async (seconds: number, warmupSeconds: number, window: MeasureWindow): Promise<RunFigures> => {
    const t0 = performance.now();
    const windowStart = t0 + warmupSeconds * 1000;
    const windowEnd = windowStart + seconds * 1000;
    const marks = [
      new Promise<void>((resolve) => setTimeout(() => void window.start().then(resolve), warmupSeconds * 1000)),
      new Promise<void>((resolve) => setTimeout(() => void window.end().then(resolve), (warmupSeconds + seconds) * 1000)),
    ];
    const latencies: number[] = [];
    const failures: string[] = [];
    let failed = 0;
    let consentShown = 0;
    const worker = async (w: number) => {
      // Users w, w + workers, w + 2·workers, …: a user (and its browser) belongs to one worker.
      const mine = gh.users.map((_, index) => index).filter((index) => index % options.workers === w);
      for (let k = 0; performance.now() < windowEnd; k += 1) {
        const index = mine[k % mine.length]!;
        const started = performance.now();
        try {
          const { pages } = await signIn({
            url: gh.url,
            client: gh.web!,
            user: gh.users[index]!,
            jar: jars[index]!,
            ip: options.nextIp(),
            prompt: 'login',
          });
          const ended = performance.now();
          if (ended < windowStart || ended > windowEnd) continue;
          if (pages.consent > 0) consentShown += 1;
          latencies.push(ended - started);
        } catch (error) {
          const ended = performance.now();
          if (ended < windowStart || ended > windowEnd) continue;
          failed += 1;
          if (failures.length < 5) failures.push((error as Error).message.slice(0, 300));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.workers, gh.users.length) }, (_, w) => worker(w)));
    await Promise.all(marks);
    if (consentShown > 0) failures.push(`${consentShown} flow(s) showed the consent page again (consent not remembered)`);
    const sorted = latencies.sort((a, b) => a - b);
    const at = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]! : Number.NaN);
    return {
      rate: latencies.length / seconds,
      p50: Math.round(at(0.5)),
      p99: Math.round(at(0.99)),
      non2xx: failed,
      errors: 0,
      timeouts: 0,
      statusCodes: {},
      failures,
    };
  };

  return { prime, run };
}
