/**
 * A refresh-token family belongs to one device (one authorization: browser session + client), as
 * with most peers. A reuse verdict — true or false — or a logout on one device never signs the
 * user out of the same app elsewhere; "revoke access" on the account page still ends the app
 * everywhere. Consent remembered across devices: test/protocol/sessions/sso-and-logout.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { authorizationCodeFlow, createUser, createWebClient, discover, silentAuthorization, tokenRequest } from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';

let server: TestServer;
before(async () => {
  // Grace 0: any replay of a rotated token is reuse, so one replay is enough to trigger it.
  server = await startServer({ env: { GATEHOUSE_REFRESH_GRACE_SECONDS: '0' } });
});
after(() => server.close());

async function userOnTwoDevices() {
  const user = await createUser(server);
  const client = await createWebClient(server, { name: 'Photo Printer' });
  const config = await discover(server, client);
  const laptop = await authorizationCodeFlow(server, config, user);
  const phone = await authorizationCodeFlow(server, config, user);
  const refresh = (token: string) => tokenRequest(server, { grant_type: 'refresh_token', refresh_token: token }, { id: client.clientId, secret: client.clientSecret });
  return { user, client, laptop, phone, refresh };
}

test('reuse detected on one device revokes that device only: the same app on another device stays signed in', async () => {
  const { client, laptop, phone, refresh } = await userOnTwoDevices();
  const rotated = await refresh(laptop.tokens.refresh_token!);
  assert.equal(rotated.status, 200);
  const replay = await refresh(laptop.tokens.refresh_token!);
  assert.equal(replay.body.error, 'invalid_grant', 'the replayed laptop token is reuse');
  assert.equal((await refresh(String(rotated.body.refresh_token))).body.error, 'invalid_grant', "the laptop's family is revoked");

  const phoneRefresh = await refresh(phone.tokens.refresh_token!);
  assert.equal(phoneRefresh.status, 200, "the phone's refresh token still works");
  const silent = await silentAuthorization(phone.browser, server.url, client.clientId);
  assert.ok(silent.searchParams.get('code'), "the phone's browser session is alive");
});

test('the account page lists an app once however many devices hold it; revoking it ends every device', async () => {
  const { laptop, phone, refresh } = await userOnTwoDevices();
  const page = await laptop.browser.follow(`${server.url}/account`, server.url);
  const html = await page.response!.text();
  assert.equal(html.match(/Photo Printer/g)?.length, 1, 'one entry for the app');
  await laptop.browser.submitForm({ url: server.url, html }, /\/account\/apps\/[^/]+\/revoke$/, {}, server.url);
  assert.equal((await refresh(laptop.tokens.refresh_token!)).body.error, 'invalid_grant', 'the laptop lost access');
  assert.equal((await refresh(phone.tokens.refresh_token!)).body.error, 'invalid_grant', 'and so did the phone');
});

test('signing out on one device ends that device’s access only', async () => {
  const { client, laptop, phone, refresh } = await userOnTwoDevices();
  const logout = new URL(`${server.url}/session/end`);
  logout.search = new URLSearchParams({ id_token_hint: laptop.tokens.id_token!, client_id: client.clientId }).toString();
  const confirm = await laptop.browser.follow(logout, server.url);
  const done = await laptop.browser.submitForm({ url: server.url, html: await confirm.response!.text() }, /\/session\/end\/confirm$/, { logout: 'yes' }, server.url);
  assert.equal(done.response?.status ?? 303, 200, 'signed out on the laptop');
  assert.equal((await refresh(laptop.tokens.refresh_token!)).body.error, 'invalid_grant', "the laptop's refresh token died with its sign-out");
  assert.equal((await refresh(phone.tokens.refresh_token!)).status, 200, "the phone's refresh token still works");
});
