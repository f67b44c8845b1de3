/**
 * RP-initiated logout skips its confirmation only for an id_token_hint of this very session.
 * An attacker holding an older ID token of the same user (from an app's logs, a shared device,
 * a session that has since ended) must not be able to sign the user out from a cross-site page.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { Browser } from '../../harness/browser.ts';
import { authorizationRequestUrl, createUser, createWebClient, REDIRECT_URI, signInThroughPages, silentAuthorization, tokenRequest } from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

type Client = { clientId: string; clientSecret: string };

/** A sign-in to `client` in `browser` (the password is asked when the browser has no session); its tokens. */
async function signIn(client: Client, browser: Browser, user: { email: string; password: string }) {
  const verifier = oidc.randomPKCECodeVerifier();
  const { callback } = await signInThroughPages(server, await authorizationRequestUrl(server.url, client.clientId, verifier), user, browser);
  const tokens = await tokenRequest(
    server,
    { grant_type: 'authorization_code', code: callback.searchParams.get('code')!, code_verifier: verifier, redirect_uri: REDIRECT_URI },
    { id: client.clientId, secret: client.clientSecret },
  );
  return tokens.body as { id_token: string; refresh_token: string };
}

/** The logout page a link to /session/end with this hint opens in `browser`: does it sign out without asking? */
async function logoutPage(browser: Browser, idTokenHint: string) {
  const url = new URL(`${server.url}/session/end`);
  url.search = new URLSearchParams({ id_token_hint: idTokenHint }).toString();
  const { response } = await browser.follow(url, server.url);
  assert.equal(response?.status, 200);
  const html = await response.text();
  assert.match(html, /session\/end\/confirm/, 'the logout page');
  return { html, signsOutWithoutAsking: html.includes('data-auto-logout') };
}

test('an old ID token of the same user, from an earlier session that has ended, does not skip the logout confirmation', async () => {
  const user = await createUser(server);
  const client = await createWebClient(server);
  const browser = new Browser();

  const earlier = await signIn(client, browser, user);
  const first = await logoutPage(browser, earlier.id_token);
  await browser.submitForm({ url: server.url, html: first.html }, /\/session\/end\/confirm$/, { logout: 'yes' }, server.url);
  assert.equal((await silentAuthorization(browser, server.url, client.clientId)).searchParams.get('error'), 'login_required', 'the earlier session has ended');

  const current = await signIn(client, browser, user);
  assert.equal(decodeJwt(earlier.id_token).sub, decodeJwt(current.id_token).sub, 'same user, same app');

  const attack = await logoutPage(browser, earlier.id_token);
  assert.equal(attack.signsOutWithoutAsking, false, 'the user is asked before being signed out');
  assert.ok((await silentAuthorization(browser, server.url, client.clientId)).searchParams.get('code'), 'the current session is untouched');

  const own = await logoutPage(browser, current.id_token);
  assert.equal(own.signsOutWithoutAsking, true, 'the app’s own hint from this session still signs out without a click');
});

test('an ID token from another browser’s session of the same user does not skip the confirmation either', async () => {
  const user = await createUser(server);
  const client = await createWebClient(server);
  const victim = new Browser('victim');
  const elsewhere = new Browser('elsewhere');
  await signIn(client, victim, user);
  const leaked = await signIn(client, elsewhere, user);
  assert.equal((await logoutPage(victim, leaked.id_token)).signsOutWithoutAsking, false);
});

test('every ID token carries the session’s sid, for clients without back-channel logout too, and keeps it across refreshes', async () => {
  const user = await createUser(server);
  const client = await createWebClient(server);
  const browser = new Browser();
  const tokens = await signIn(client, browser, user);
  const { sid } = decodeJwt(tokens.id_token);
  assert.equal(typeof sid, 'string');
  const refreshed = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, { id: client.clientId, secret: client.clientSecret });
  assert.equal(decodeJwt(String(refreshed.body.id_token)).sid, sid);

  const other = await createWebClient(server);
  const atOther = await signIn(other, browser, user);
  assert.notEqual(decodeJwt(atOther.id_token).sid, sid, 'sid is per client within the session (OIDC Front/Back-Channel Logout)');
});
