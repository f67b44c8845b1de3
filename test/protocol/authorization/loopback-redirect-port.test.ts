/**
 * Native apps' loopback redirect URIs (RFC 8252 §7.3): by default any port matches, as the RFC
 * asks; a client registered with exactRedirectPort gets its codes only on the registered port,
 * never on another local port where some other process may listen.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as oidc from 'openid-client';
import { Browser } from '../../harness/browser.ts';
import { authorizationRequestUrl, createUser, createWebClient, signInThroughPages } from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';

const REGISTERED = 'http://127.0.0.1:4299/cb';
const OTHER_PORT = 'http://127.0.0.1:4298/cb';

let server: TestServer;
let user: { email: string; password: string };
before(async () => {
  server = await startServer();
  user = await createUser(server);
});
after(() => server.close());

const nativeApp = (exactRedirectPort: boolean) =>
  createWebClient(server, {
    name: 'Desktop app',
    type: 'public',
    grantTypes: ['authorization_code'],
    redirectUris: [REGISTERED],
    postLogoutRedirectUris: ['http://127.0.0.1:4299/bye'],
    scopes: ['openid'],
    exactRedirectPort,
  });

const authorize = async (clientId: string, redirectUri: string) =>
  authorizationRequestUrl(server.url, clientId, oidc.randomPKCECodeVerifier(), { redirect_uri: redirectUri, scope: 'openid' });

function logoutOnOtherPort(clientId: string): URL {
  const url = new URL(`${server.url}/session/end`);
  url.search = new URLSearchParams({ client_id: clientId, post_logout_redirect_uri: 'http://127.0.0.1:4298/bye' }).toString();
  return url;
}

test('with exactRedirectPort, a code is never delivered to another loopback port; the registered port still gets it', async () => {
  const app = await nativeApp(true);
  const attempt = await new Browser().request(await authorize(app.clientId, OTHER_PORT));
  assert.equal(attempt.status, 400, 'refused on an error page before any sign-in');
  assert.equal(attempt.headers.get('location'), null, 'nothing is sent to the other port');
  assert.match(await attempt.text(), /redirect_uri/);

  const { callback } = await signInThroughPages(server, await authorize(app.clientId, REGISTERED), user);
  assert.equal(`${callback.origin}${callback.pathname}`, REGISTERED);
  assert.ok(callback.searchParams.get('code'));

  assert.equal((await new Browser().request(logoutOnOtherPort(app.clientId))).status, 400, 'post-logout redirects match on the port too');
});

test('by default (RFC 8252 §7.3) a native app’s loopback redirect URI matches on any port', async () => {
  const app = await nativeApp(false);
  const { callback } = await signInThroughPages(server, await authorize(app.clientId, OTHER_PORT), user);
  assert.equal(`${callback.origin}${callback.pathname}`, OTHER_PORT);
  assert.ok(callback.searchParams.get('code'));
  assert.equal((await new Browser().request(logoutOnOtherPort(app.clientId))).status, 200, 'and so does its post-logout redirect URI');
});

test('the option is part of the client record, and only true when asked for', async () => {
  const clients = server.gatehouse.services.clients;
  const exact = await nativeApp(true);
  assert.equal((await clients.find(exact.clientId))?.exactRedirectPort, true);
  assert.equal((await clients.find((await nativeApp(false)).clientId))?.exactRedirectPort, false);
});
