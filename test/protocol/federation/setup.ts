/**
 * Federation tests: Gatehouse (in this process) and real upstream OpenID providers (bare
 * oidc-provider, each its own process: test/harness/upstream/), a browser that walks between them.
 */
import * as oidc from 'openid-client';
import { Browser } from '../../harness/browser.ts';
import { createWebClient, discover, REDIRECT_URI } from '../../harness/fixtures.ts';
import type { TestServer } from '../../harness/server.ts';
import { startUpstream, type Upstream, type UpstreamUser } from '../../harness/upstream/process.ts';

export const CLIENT_ORIGIN = new URL(REDIRECT_URI).origin;

export const UPSTREAM_USERS: Record<string, UpstreamUser> = {
  alice: { email: 'alice@acme.test', email_verified: true, name: 'Alice Upstream', groups: ['platform-admins', 'staff'] },
  bob: { email: 'bob@acme.test', email_verified: true, name: 'Bob', groups: ['staff'] },
  // Says it is someone whose account already exists here, without having verified the address.
  mallory: { email: 'victim@acme.test', email_verified: false, name: 'Mallory' },
  outsider: { email: 'eve@elsewhere.test', email_verified: true },
  noemail: {},
  mfa: { email: 'mfa-user@acme.test', email_verified: true, amr: ['pwd', 'otp'] },
};

/** An upstream process with one client registration per Gatehouse callback it should accept. */
export async function upstreamFor(server: TestServer, names: string[], users = UPSTREAM_USERS): Promise<Upstream> {
  return startUpstream({
    users,
    clients: [{ client_id: 'gatehouse', client_secret: 'upstream-client-secret', redirect_uris: names.map((name) => `${server.url}/federation/${name}/callback`) }],
  });
}

export async function createIdp(server: TestServer, upstream: Upstream, input: Record<string, unknown> & { name: string }) {
  return server.gatehouse.services.federation.create({
    issuer: upstream.issuer,
    clientId: 'gatehouse',
    clientSecret: 'upstream-client-secret',
    ...input,
  } as never);
}

/** A Response's body read once, with where it came from. */
export interface Page {
  status: number;
  url: URL;
  html: string;
}

/**
 * Requests `url` and follows redirects across Gatehouse and the upstreams, as a browser would,
 * until a page (non-redirect) or the client's redirect URI.
 */
export async function walk(browser: Browser, start: string | URL, init: RequestInit = {}): Promise<{ page?: Page; callback?: URL }> {
  let url = new URL(start);
  let response = await browser.request(url, init);
  for (let hops = 0; hops < 20; hops += 1) {
    const location = response.headers.get('location');
    if (!location || response.status < 300 || response.status >= 400) return { page: { status: response.status, url, html: await response.text() } };
    url = new URL(location, url);
    if (url.origin === CLIENT_ORIGIN) return { callback: url };
    response = await browser.request(url);
  }
  throw new Error('too many redirects');
}

/** Posts a form of `page` (hidden fields included) and walks on. */
export async function submit(browser: Browser, page: Page, action: RegExp, fields: Record<string, string>) {
  const forms = [...page.html.matchAll(/<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)];
  const form = forms.find(([, formAction]) => action.test(formAction ?? ''));
  if (!form) throw new Error(`no form ${action} on ${page.url}: ${page.html.slice(0, 400)}`);
  const hidden = Object.fromEntries([...(form[2] ?? '').matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  return walk(browser, new URL(form[1]!.replaceAll('&amp;', '&'), page.url), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...hidden, ...fields }),
  });
}

export async function webApp(server: TestServer) {
  const client = await createWebClient(server);
  return { client, config: await discover(server, client) };
}

/** An authorization request of the web app; the verifier and state to redeem its code. */
export async function authorizationRequest(config: oidc.Configuration, extra: Record<string, string> = {}) {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid email profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    ...extra,
  });
  return { url, codeVerifier, state };
}

/**
 * From the authorization request to the upstream's sign-in page: Gatehouse's login page, then
 * "Continue with <provider>". Returns the upstream page.
 */
export async function toUpstream(browser: Browser, url: URL, provider: string): Promise<Page> {
  const login = await walk(browser, url);
  const uid = /\/interaction\/([\w-]+)\/login/.exec(login.page?.html ?? '')?.[1];
  if (!uid) throw new Error(`no login page: ${login.page?.status} ${login.page?.html.slice(0, 300)}`);
  const upstream = await walk(browser, new URL(`/interaction/${uid}/upstream/${provider}`, url));
  if (!upstream.page) throw new Error('the upstream sent the browser away');
  return upstream.page;
}

/** Signs in at the upstream page as `login`; walks back through Gatehouse (consent given if asked). */
export async function signInUpstream(browser: Browser, page: Page, login: string): Promise<{ page?: Page; callback?: URL }> {
  let step = await submit(browser, page, /\/login\//, { login });
  if (step.page && /\/confirm"/.test(step.page.html)) step = await submit(browser, step.page, /\/confirm$/, {});
  return step;
}

export { Browser };

/**
 * Signs in at the upstream page as `login` and stops where the upstream sends the browser back:
 * the callback URL at Gatehouse, not yet requested (to replay, alter or misdirect it).
 */
export async function upstreamCallback(browser: Browser, page: Page, login: string): Promise<URL> {
  const form = /<form[^>]*action="([^"]+)"/.exec(page.html);
  if (!form) throw new Error(`no upstream form on ${page.url}`);
  let url = new URL(form[1]!, page.url);
  let response = await browser.request(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ login }) });
  for (let hops = 0; hops < 10; hops += 1) {
    const location = response.headers.get('location');
    if (!location) throw new Error(`the upstream answered ${response.status} at ${url}: ${(await response.text()).slice(0, 300)}`);
    url = new URL(location, url);
    if (url.pathname.startsWith('/federation/')) return url;
    response = await browser.request(url);
  }
  throw new Error('too many redirects');
}
