import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { Browser } from '../../harness/browser.ts';
import { createTestClock } from '../../harness/clock.ts';
import { authorizationRequestUrl, createUser, createWebClient, REDIRECT_URI, silentAuthorization, tokenRequest } from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';

const clock = createTestClock();
let server: TestServer;
before(async () => {
  server = await startServer({ clock, env: { GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: 'true', GATEHOUSE_SESSION_IDLE_TIMEOUT: '1800', GATEHOUSE_REFRESH_GRACE_SECONDS: '0' } });
});
after(() => server.close());

/** A client's back-channel logout endpoint that records logout tokens; `failFirst` answers 503 first. */
async function receiver(failFirst = 0) {
  const tokens: string[] = [];
  let failures = failFirst;
  const http: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      if (failures > 0) {
        failures -= 1;
        res.writeHead(503).end();
        return;
      }
      tokens.push(new URLSearchParams(body).get('logout_token') ?? '');
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/backchannel`, tokens, close: () => http.close() };
}

/** One authorization in `browser`; reports whether a password was asked for. */
async function authorize(client: { clientId: string; clientSecret: string }, browser: Browser, user: { email: string; password: string }, extra: Record<string, string> = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = await authorizationRequestUrl(server.url, client.clientId, verifier, extra);
  let askedForPassword = false;
  let askedForConsent = false;
  let step = await browser.follow(url, server.url);
  for (let i = 0; i < 4 && !step.leftTo; i += 1) {
    const html = await step.response!.text();
    if (html.includes('/login"')) {
      askedForPassword = true;
      step = await browser.submitForm({ url: server.url, html }, /\/login$/, { email: user.email, password: user.password }, server.url);
    } else if (html.includes('/confirm"')) {
      askedForConsent = true;
      step = await browser.submitForm({ url: server.url, html }, /\/confirm$/, {}, server.url);
    } else {
      throw new Error(`unexpected page: ${html.slice(0, 200)}`);
    }
  }
  const code = step.leftTo!.searchParams.get('code')!;
  const tokens = await tokenRequest(server, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI }, { id: client.clientId, secret: client.clientSecret });
  return { askedForPassword, askedForConsent, tokens: tokens.body as Record<string, string> };
}

const silentAuth = (client: { clientId: string }, browser: Browser) => silentAuthorization(browser, server.url, client.clientId);

async function logout(browser: Browser, idTokenHint: string, clientId: string) {
  const url = new URL(`${server.url}/session/end`);
  url.search = new URLSearchParams({ id_token_hint: idTokenHint, client_id: clientId }).toString();
  const confirm = await browser.follow(url, server.url);
  return browser.submitForm({ url: server.url, html: await confirm.response!.text() }, /\/session\/end\/confirm$/, { logout: 'yes' }, server.url);
}

test('SSO: the second app signs in without a password; logout from it sends verified back-channel logout tokens to both, and kills A’s refresh token', async () => {
  const [receiverA, receiverB] = [await receiver(), await receiver(1)];
  try {
    const user = await createUser(server);
    const a = await createWebClient(server, { name: 'App A', backchannelLogoutUri: receiverA.url });
    const b = await createWebClient(server, { name: 'App B', backchannelLogoutUri: receiverB.url });
    const browser = new Browser();
    const atA = await authorize(a, browser, user);
    assert.equal(atA.askedForPassword, true);
    const atB = await authorize(b, browser, user);
    assert.equal(atB.askedForPassword, false, 'single sign-on: no password at the second app');

    await logout(browser, atB.tokens.id_token!, b.clientId);
    const jwks = createRemoteJWKSet(new URL(`${server.url}/jwks`));
    for (const [rx, client, idToken] of [[receiverA, a, atA.tokens.id_token!], [receiverB, b, atB.tokens.id_token!]] as const) {
      assert.equal(rx.tokens.length, 1, `${client.clientId} received one logout token${rx === receiverB ? ' (after a retry)' : ''}`);
      const { payload, protectedHeader } = await jwtVerify(rx.tokens[0]!, jwks, { issuer: server.url, audience: client.clientId });
      assert.equal(protectedHeader.typ, 'logout+jwt');
      assert.ok(payload.events && 'http://schemas.openid.net/event/backchannel-logout' in (payload.events as object));
      assert.equal(payload.sid, decodeJwt(idToken).sid, 'the sid of that client’s session');
      assert.equal(payload.nonce, undefined, 'logout tokens carry no nonce');
    }
    const refresh = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: atA.tokens.refresh_token! }, { id: a.clientId, secret: a.clientSecret });
    assert.equal(refresh.body.error, 'invalid_grant', 'A’s refresh token is dead');
    assert.equal((await silentAuth(a, browser)).searchParams.get('error'), 'login_required');
  } finally {
    receiverA.close();
    receiverB.close();
  }
});

test('the session id changes at sign-in (no fixation)', async () => {
  const user = await createUser(server);
  const client = await createWebClient(server);
  const browser = new Browser();
  await authorize(client, browser, user);
  const first = browser.cookieHeader(new URL(server.url));
  await authorize(client, browser, user, { prompt: 'login consent' });
  const second = browser.cookieHeader(new URL(server.url));
  const session = (cookies: string) => /gatehouse\.session=([^;]+)/.exec(cookies)?.[1];
  assert.ok(session(first) && session(second));
  assert.notEqual(session(first), session(second));
});

test('an idle session must sign in again; activity before the timeout extends it', async () => {
  const user = await createUser(server);
  const client = await createWebClient(server);
  const browser = new Browser();
  await authorize(client, browser, user);
  clock.advance(20 * 60);
  assert.ok((await silentAuth(client, browser)).searchParams.get('code'), 'active at 20 min');
  clock.advance(20 * 60);
  assert.ok((await silentAuth(client, browser)).searchParams.get('code'), '40 min after sign-in, 20 since the last use: still active');
  clock.advance(31 * 60);
  assert.equal((await silentAuth(client, browser)).searchParams.get('error'), 'login_required', '31 min idle: sign in again');
  const again = await authorize(client, browser, user);
  assert.equal(again.askedForPassword, true);
});

test('everywhere-logout ends every session and kills every refresh token of the user', async () => {
  const user = await createUser(server);
  const client = await createWebClient(server);
  const phone = new Browser();
  const laptop = new Browser();
  const onPhone = await authorize(client, phone, user);
  const onLaptop = await authorize(client, laptop, user);
  const result = await server.gatehouse.services.sessions.logoutEverywhere(user.id);
  assert.equal(result.sessionsEnded, 2);
  for (const [browser, tokens] of [[phone, onPhone.tokens], [laptop, onLaptop.tokens]] as const) {
    const refresh = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, { id: client.clientId, secret: client.clientSecret });
    assert.equal(refresh.body.error, 'invalid_grant');
    assert.equal((await silentAuth(client, browser)).searchParams.get('error'), 'login_required');
  }
});

test('refresh-token reuse ends the browser session of the stolen family too', async () => {
  const user = await createUser(server);
  const client = await createWebClient(server);
  const browser = new Browser();
  const { tokens } = await authorize(client, browser, user);
  const refresh = (token: string) => tokenRequest(server, { grant_type: 'refresh_token', refresh_token: token }, { id: client.clientId, secret: client.clientSecret });
  assert.equal((await refresh(tokens.refresh_token!)).status, 200);
  assert.equal((await refresh(tokens.refresh_token!)).body.error, 'invalid_grant');
  assert.equal((await silentAuth(client, browser)).searchParams.get('error'), 'login_required');
});

test('consent is remembered per user and client, not per browser; a revoked grant asks again', async () => {
  const user = await createUser(server);
  const client = await createWebClient(server);
  const first = await authorize(client, new Browser(), user, { prompt: 'consent' });
  assert.equal(first.askedForConsent, true);
  const otherBrowser = await authorize(client, new Browser(), user, { prompt: 'login' });
  assert.equal(otherBrowser.askedForPassword, true);
  assert.equal(otherBrowser.askedForConsent, false, 'a new browser does not ask for consent already given');
  await server.gatehouse.services.sessions.logoutEverywhere(user.id);
  const afterRevocation = await authorize(client, new Browser(), user, { prompt: 'login' });
  assert.equal(afterRevocation.askedForConsent, true, 'revoked consent is asked for again');
});

test('RP-initiated logout by POST (RP-Initiated Logout §2) is answered as the same GET and signs out', async () => {
  const user = await createUser(server);
  const client = await createWebClient(server);
  const browser = new Browser();
  const { tokens } = await authorize(client, browser, user);
  const confirm = await browser.follow(`${server.url}/session/end`, server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ id_token_hint: tokens.id_token!, client_id: client.clientId }).toString(),
  });
  assert.equal(confirm.response?.status, 200, 'the logout page, not a 404');
  const html = await confirm.response!.text();
  await browser.submitForm({ url: server.url, html }, /\/session\/end\/confirm$/, { logout: 'yes' }, server.url);
  assert.equal((await silentAuth(client, browser)).searchParams.get('error'), 'login_required', 'signed out');
});

test('the ID token of a refresh carries no nonce (OIDC Core §12.2); the first one does', async () => {
  const user = await createUser(server);
  const client = await createWebClient(server);
  const { tokens } = await authorize(client, new Browser(), user, { nonce: 'n-0S6_WzA2Mj' });
  assert.equal(decodeJwt(tokens.id_token!).nonce, 'n-0S6_WzA2Mj');
  const refreshed = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, { id: client.clientId, secret: client.clientSecret });
  assert.equal(refreshed.status, 200);
  const idToken = (refreshed.body as Record<string, string>).id_token;
  assert.ok(idToken, 'a new ID token');
  assert.equal(decodeJwt(idToken).nonce, undefined);
});
