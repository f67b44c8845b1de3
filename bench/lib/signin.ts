/**
 * A browser sign-in over plain HTTP, as a user agent does it: GET /auth → 303 /interaction/:uid →
 * login page → POST …/login (csrf, email, password) → 303 /auth/:uid → [consent page → POST
 * …/confirm → 303 /auth/:uid] → 303 redirect_uri?code=… → the client exchanges the code at /token.
 * Every status is checked; anything unexpected throws with the step and an excerpt of the body.
 */
import { createHash, randomBytes } from 'node:crypto';
import { basic, type Credentials, REDIRECT_URI } from './targets.ts';

/** Cookies with their paths (oidc-provider scopes its interaction and resume cookies by path). */
export class CookieJar {
  readonly #cookies = new Map<string, { value: string; path: string }>();

  header(url: URL): string {
    return [...this.#cookies]
      .filter(([, cookie]) => url.pathname.startsWith(cookie.path))
      .map(([key, cookie]) => `${key.slice(0, key.indexOf('\u0000'))}=${cookie.value}`)
      .join('; ');
  }

  store(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attributes] = header.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const path = attributes.map((a) => a.trim()).find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
      const expired = attributes.some((a) => /expires=Thu, 01 Jan 1970/i.test(a));
      // Same name on another path is another cookie; keying by name+path keeps both.
      const key = `${name}\u0000${path}`;
      if (expired || value === '') this.#cookies.delete(key);
      else this.#cookies.set(key, { value, path });
    }
  }
}

export interface TokenResponse {
  access_token: string;
  id_token?: string;
  refresh_token?: string;
  token_type: string;
  expires_in: number;
  scope?: string;
}

export interface SignInOptions {
  /** Gatehouse's base URL. */
  url: string;
  client: Credentials;
  user: { email: string; password: string };
  /** A browser's cookies: keep one per user to keep its session (and remembered consent). */
  jar?: CookieJar;
  /** X-Forwarded-For of every browser request (the server must trust the proxy). */
  ip?: string;
  scope?: string;
  prompt?: string;
}

export interface SignInResult {
  tokens: TokenResponse;
  /** Which pages the flow went through. */
  pages: { login: number; consent: number };
}

const base64url = (buffer: Buffer) => buffer.toString('base64url');

export class FlowError extends Error {}

async function excerpt(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  return text.replace(/\s+/g, ' ').slice(0, 200);
}

export async function signIn(options: SignInOptions): Promise<SignInResult> {
  const jar = options.jar ?? new CookieJar();
  const origin = new URL(options.url).origin;
  const browser = async (url: URL, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    const cookie = jar.header(url);
    if (cookie) headers.set('cookie', cookie);
    headers.set('user-agent', 'gatehouse-bench');
    if (options.ip) headers.set('x-forwarded-for', options.ip);
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    jar.store(response);
    return response;
  };

  const verifier = base64url(randomBytes(32));
  const state = base64url(randomBytes(12));
  const authorize = new URL('/auth', options.url);
  authorize.search = new URLSearchParams({
    client_id: options.client.clientId,
    response_type: 'code',
    scope: options.scope ?? 'openid',
    redirect_uri: REDIRECT_URI,
    code_challenge: base64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
    state,
    ...(options.prompt ? { prompt: options.prompt } : {}),
  }).toString();

  const pages = { login: 0, consent: 0 };
  let url = authorize;
  let response = await browser(url);
  let code: string | undefined;
  for (let hops = 0; hops < 12 && code === undefined; hops += 1) {
    if (response.status === 302 || response.status === 303) {
      await response.body?.cancel();
      const location = new URL(response.headers.get('location') ?? '', url);
      if (location.href.startsWith(REDIRECT_URI)) {
        const error = location.searchParams.get('error');
        if (error) throw new FlowError(`authorization error ${error}: ${location.searchParams.get('error_description')}`);
        if (location.searchParams.get('state') !== state) throw new FlowError('state mismatch in the callback');
        code = location.searchParams.get('code') ?? undefined;
        if (!code) throw new FlowError(`callback without a code: ${location.href}`);
        break;
      }
      if (location.origin !== origin) throw new FlowError(`redirect off the server: ${location.href}`);
      url = location;
      response = await browser(url);
      continue;
    }
    if (response.status !== 200 || !url.pathname.startsWith('/interaction/')) {
      throw new FlowError(`GET ${url.pathname}: ${response.status} ${await excerpt(response)}`);
    }
    const html = await response.text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
    const login = /action="(\/interaction\/[^"/]+\/login)"/.exec(html)?.[1];
    const confirm = /action="(\/interaction\/[^"/]+\/confirm)"/.exec(html)?.[1];
    const action = login ?? confirm;
    if (!csrf || !action) throw new FlowError(`GET ${url.pathname}: no login or consent form on the page`);
    const fields: Record<string, string> = login ? { csrf, email: options.user.email, password: options.user.password } : { csrf };
    if (login) pages.login += 1;
    else pages.consent += 1;
    url = new URL(action, options.url);
    response = await browser(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    });
    if (response.status !== 303) {
      throw new FlowError(`POST ${login ? 'login' : 'confirm'}: ${response.status} ${await excerpt(response)}`);
    }
  }
  if (code === undefined) throw new FlowError('the flow never returned to the client');

  // The client's back channel: its own server calling /token (no browser cookies, no forwarded IP).
  const token = await fetch(new URL('/token', options.url), {
    method: 'POST',
    headers: {
      authorization: basic(options.client.clientId, options.client.clientSecret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }),
  });
  if (token.status !== 200) throw new FlowError(`POST /token (code): ${token.status} ${await excerpt(token)}`);
  return { tokens: (await token.json()) as TokenResponse, pages };
}

/** A distinct client address per call, from 10.0.0.0/8 (used as X-Forwarded-For). */
export function addressSource(): () => string {
  let next = 1;
  return () => {
    const n = next++;
    return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  };
}
