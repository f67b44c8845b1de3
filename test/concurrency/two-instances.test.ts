/**
 * Two Gatehouse processes sharing one Postgres and one Redis, as behind a load balancer.
 * Services mode only (test/run.ts runs this folder only there).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as oidc from 'openid-client';
import { Browser } from '../harness/browser.ts';
import { authorizationRequestUrl, createUser, createWebClient, REDIRECT_URI, signInThroughPages, silentAuthorization } from '../harness/fixtures.ts';
import { startServer, type TestServer } from '../harness/server.ts';
import { clusterSecrets, freePort, type ServerProcess, startServerProcess } from '../harness/server-process.ts';

let admin: TestServer;
let a: ServerProcess;
let b: ServerProcess;
before(async () => {
  admin = await startServer();
  const secrets = clusterSecrets();
  const portA = await freePort();
  const issuer = `http://127.0.0.1:${portA}`;
  [a, b] = await Promise.all([
    startServerProcess({ ...secrets, PORT: String(portA), GATEHOUSE_ISSUER: issuer }),
    startServerProcess({ ...secrets, GATEHOUSE_ISSUER: issuer }),
  ]);
});
after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await admin?.close();
});

async function signIn(browser = new Browser()) {
  const user = await createUser(admin);
  const client = await createWebClient(admin);
  const verifier = oidc.randomPKCECodeVerifier();
  const url = await authorizationRequestUrl(a.url, client.clientId, verifier);
  const { callback } = await signInThroughPages({ url: a.url } as TestServer, url, user, browser);
  const token = async (instance: ServerProcess, body: Record<string, string>) => {
    const response = await fetch(`${instance.url}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, string> };
  };
  const tokens = await token(b, { grant_type: 'authorization_code', code: callback.searchParams.get('code')!, code_verifier: verifier, redirect_uri: REDIRECT_URI });
  assert.equal(tokens.status, 200, 'a code issued by instance A is redeemed at instance B');
  return { refreshToken: tokens.body.refresh_token!, idToken: tokens.body.id_token!, token, client };
}

test('20 concurrent refreshes of one token across two processes all get the same single new refresh token', async () => {
  const { refreshToken, token } = await signIn();
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => token(i % 2 === 0 ? a : b, { grant_type: 'refresh_token', refresh_token: refreshToken })),
  );
  assert.deepEqual(
    results.map((r) => r.status),
    Array(20).fill(200),
    JSON.stringify(results.filter((r) => r.status !== 200)),
  );
  const issued = new Set(results.map((r) => r.body.refresh_token));
  assert.equal(issued.size, 1, 'exactly one new refresh token exists');
  const next = await token(a, { grant_type: 'refresh_token', refresh_token: [...issued][0]! });
  assert.equal(next.status, 200, 'and it works');
});

test('reuse detected on one instance revokes the family for the other', async () => {
  const { refreshToken, token } = await signIn();
  const child = await token(a, { grant_type: 'refresh_token', refresh_token: refreshToken });
  const grandchild = await token(b, { grant_type: 'refresh_token', refresh_token: child.body.refresh_token! });
  assert.equal(grandchild.status, 200);
  assert.equal((await token(a, { grant_type: 'refresh_token', refresh_token: refreshToken })).body.error, 'invalid_grant');
  assert.equal((await token(b, { grant_type: 'refresh_token', refresh_token: grandchild.body.refresh_token! })).body.error, 'invalid_grant');
});

test('SIGTERM stops an instance gracefully (exit code 0)', async () => {
  const extra = await startServerProcess(clusterSecrets());
  assert.equal(await extra.stop(), 0);
});

test('sign in through A, refresh through B, log out through A: B sees the logout', async () => {
  const browser = new Browser();
  const { refreshToken, idToken, token, client } = await signIn(browser);
  const refreshed = await token(b, { grant_type: 'refresh_token', refresh_token: refreshToken });
  assert.equal(refreshed.status, 200);

  const logout = new URL(`${a.url}/session/end`);
  logout.search = new URLSearchParams({ id_token_hint: refreshed.body.id_token ?? idToken, client_id: client.clientId }).toString();
  const confirm = await browser.follow(logout, a.url);
  const html = await confirm.response!.text();
  const done = await browser.submitForm({ url: a.url, html }, /\/session\/end\/confirm$/, { logout: 'yes' }, a.url);
  assert.equal(done.response?.status ?? 303, 200, 'signed out at A');

  const afterLogout = await token(b, { grant_type: 'refresh_token', refresh_token: refreshed.body.refresh_token! });
  assert.equal(afterLogout.body.error, 'invalid_grant', 'B refuses the refresh token of the ended session');
  const silent = await silentAuthorization(browser, b.url, client.clientId);
  assert.equal(silent.searchParams.get('error'), 'login_required', 'B sees no session for this browser');
});
