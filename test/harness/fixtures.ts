import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import type { NewClient } from '../../src/clients/index.ts';
import { Browser } from './browser.ts';
import type { TestServer } from './server.ts';

export const REDIRECT_URI = 'http://127.0.0.1:9/callback';
export const POST_LOGOUT_URI = 'http://127.0.0.1:9/signed-out';

export function uniqueEmail(tag = 'user'): string {
  return `${tag}-${randomBytes(6).toString('hex')}@example.test`;
}

export async function createUser(server: TestServer, overrides: { email?: string; password?: string; verified?: boolean } = {}) {
  const email = overrides.email ?? uniqueEmail();
  const password = overrides.password ?? `pass-${randomBytes(8).toString('hex')}`;
  const account = await server.gatehouse.services.accounts.create({
    email,
    password,
    emailVerified: overrides.verified ?? true,
    name: 'Test User',
  });
  return { ...account, password };
}

/** A registered API; `claims` are the extra access-token claims it asks for (none by default). */
export async function createApi(server: TestServer, scopes = ['read', 'write'], options: { claims?: string[] } = {}) {
  const identifier = `https://api-${randomBytes(4).toString('hex')}.example.test`;
  await server.gatehouse.services.apis.create({
    identifier,
    name: 'Test API',
    scopes: scopes.map((name) => ({ name, description: name })),
    claims: options.claims ?? [],
  });
  return identifier;
}

export async function createWebClient(server: TestServer, overrides: Partial<NewClient> = {}) {
  const { client, clientSecret } = await server.gatehouse.services.clients.create({
    name: 'Test Web App',
    type: 'confidential',
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [REDIRECT_URI],
    postLogoutRedirectUris: [POST_LOGOUT_URI],
    scopes: ['openid', 'email', 'profile', 'offline_access'],
    ...overrides,
  });
  return { clientId: client.clientId, clientSecret: clientSecret ?? '' };
}

export async function createMachineClient(server: TestServer, resource: string, scopes = ['read']) {
  const { client, clientSecret } = await server.gatehouse.services.clients.create({
    name: 'Test Service',
    type: 'confidential',
    grantTypes: ['client_credentials'],
    resources: [resource],
    scopes,
  });
  return { clientId: client.clientId, clientSecret: clientSecret ?? '' };
}

/** openid-client configuration for a confidential client of the test server (http allowed). */
export async function discover(server: TestServer, client: { clientId: string; clientSecret: string }) {
  return oidc.discovery(new URL(server.url), client.clientId, client.clientSecret, undefined, {
    execute: [oidc.allowInsecureRequests],
  });
}

export async function tokenRequest(server: TestServer, body: Record<string, string>, basic?: { id: string; secret: string }) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) {
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(basic.id)}:${encodeURIComponent(basic.secret)}`).toString('base64')}`;
  }
  const response = await fetch(`${server.url}/token`, { method: 'POST', headers, body: new URLSearchParams(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/**
 * Drives the real login and consent pages in a Browser and returns the callback URL the
 * client's redirect_uri receives.
 */
export async function signInThroughPages(
  server: TestServer,
  authorizationUrl: URL,
  user: { email: string; password: string },
  browser = new Browser(),
): Promise<{ callback: URL; browser: Browser }> {
  let step = await browser.follow(authorizationUrl, server.url);
  for (let pages = 0; pages < 4 && !step.leftTo; pages += 1) {
    const response = step.response!;
    const html = await response.text();
    const url = response.url || authorizationUrl.href;
    if (html.includes('/login"')) {
      step = await browser.submitForm({ url: server.url, html }, /\/login$/, { email: user.email, password: user.password }, server.url);
    } else if (html.includes('/confirm"')) {
      step = await browser.submitForm({ url: server.url, html }, /\/confirm$/, {}, server.url);
    } else {
      throw new Error(`unexpected page ${response.status} at ${url}: ${html.slice(0, 300)}`);
    }
  }
  if (!step.leftTo) throw new Error('the flow never returned to the client');
  return { callback: step.leftTo, browser };
}

export async function authorizationCodeFlow(
  server: TestServer,
  config: oidc.Configuration,
  user: { email: string; password: string },
  extra: Record<string, string> = {},
  /** Extra token-request parameters, e.g. `resource` for a JWT access token for an API. */
  tokenParameters: Record<string, string> = {},
) {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid email profile offline_access',
    prompt: 'consent',
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    ...extra,
  });
  const { callback, browser } = await signInThroughPages(server, url, user);
  const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: codeVerifier, expectedState: state }, tokenParameters);
  return { tokens, callback, browser };
}

/**
 * An authorization request (code + PKCE S256) for the test client's redirect URI; a parameter
 * given as `undefined` is left out.
 */
export async function authorizationRequestUrl(
  baseUrl: string,
  clientId: string,
  verifier: string,
  params: Record<string, string | undefined> = {},
): Promise<URL> {
  const url = new URL(`${baseUrl}/auth`);
  const all: Record<string, string | undefined> = {
    client_id: clientId,
    response_type: 'code',
    scope: 'openid offline_access',
    prompt: 'consent',
    redirect_uri: REDIRECT_URI,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...params,
  };
  url.search = new URLSearchParams(Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined)).toString();
  return url;
}

/**
 * `prompt=none` authorization in `browser` against the server at `baseUrl`: where the browser is
 * sent back to the client (a code when the session is alive, `error=login_required` when not).
 */
export async function silentAuthorization(browser: Browser, baseUrl: string, clientId: string): Promise<URL> {
  const url = await authorizationRequestUrl(baseUrl, clientId, oidc.randomPKCECodeVerifier(), { scope: 'openid', prompt: 'none' });
  const result = await browser.follow(url, baseUrl);
  if (!result.leftTo) throw new Error(`silent authorization stayed on Gatehouse: ${result.response?.status} ${(await result.response?.text())?.slice(0, 400)}`);
  return result.leftTo;
}
