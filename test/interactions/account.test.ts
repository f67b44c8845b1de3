import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Browser } from '../harness/browser.ts';
import { authorizationCodeFlow, createUser, createWebClient, discover, tokenRequest } from '../harness/fixtures.ts';
import { outboxMails } from '../harness/outbox.ts';
import { startServer, type TestServer } from '../harness/server.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-account-'));
let server: TestServer;
before(async () => {
  server = await startServer({ env: { GATEHOUSE_DATA_DIR: dataDir } });
});
after(async () => {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Opens /account in a browser that is signed in (SSO from an app sign-in). */
async function accountPage(browser: Browser) {
  const step = await browser.follow(`${server.url}/account`, server.url);
  assert.equal(step.response?.status, 200, 'the account page opens without another password (SSO)');
  return step.response!.text();
}

async function signedInApp() {
  const user = await createUser(server);
  const client = await createWebClient(server, { name: 'Photo Printer' });
  const { tokens, browser } = await authorizationCodeFlow(server, await discover(server, client), user);
  const refresh = (token: string) => tokenRequest(server, { grant_type: 'refresh_token', refresh_token: token }, { id: client.clientId, secret: client.clientSecret });
  return { user, client, tokens, browser, refresh };
}

test('without a session, /account sends the browser to sign in through the normal pages', async () => {
  const response = await new Browser().request(`${server.url}/account`);
  assert.equal(response.status, 303);
  const location = new URL(response.headers.get('location')!);
  assert.equal(location.pathname, '/auth');
  assert.equal(location.searchParams.get('client_id'), 'gatehouse-account');
  assert.equal(location.searchParams.get('code_challenge_method'), 'S256');
});

test('the account page lists this device and the connected app; revoking the app kills its refresh token at once', async () => {
  const { browser, tokens, refresh } = await signedInApp();
  const html = await accountPage(browser);
  assert.match(html, /this device/);
  assert.match(html, /Photo Printer/);
  assert.doesNotMatch(html, /Your account<\/span>/, 'the account pages themselves are not listed as an app');
  const revoked = await browser.submitForm({ url: server.url, html }, /\/account\/apps\/[^/]+\/revoke$/, {}, server.url);
  assert.ok(revoked.response, 'back on the account page');
  assert.doesNotMatch(await revoked.response.text(), /Photo Printer/);
  assert.equal((await refresh(tokens.refresh_token!)).body.error, 'invalid_grant', 'the refresh token died with the revocation');
});

test('signing out another device from the account page ends that session only', async () => {
  const { user, client, browser: tablet } = await signedInApp();
  const config = await discover(server, client);
  const laptop = (await authorizationCodeFlow(server, config, user)).browser;
  const phone = (await authorizationCodeFlow(server, config, user)).browser;
  const html = await accountPage(laptop);
  const otherForms = [...html.matchAll(/<li>[\s\S]*?<\/li>/g)].map((m) => m[0]).filter((item) => item.includes('/end"') && !item.includes('this device'));
  assert.ok(otherForms.length >= 1, 'the phone is listed');
  const action = /action="([^"]+)"/.exec(otherForms[0]!)![1]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
  await laptop.request(new URL(action, server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf }),
  });
  const sessions = await server.gatehouse.services.sessions.listSessions(user.id);
  assert.equal(sessions.length, 2, 'one of the three sessions ended');
  assert.equal((await laptop.request(`${server.url}/account`)).status, 200, 'this device is still signed in');
  const statuses = [(await tablet.request(`${server.url}/account`)).status, (await phone.request(`${server.url}/account`)).status].sort();
  assert.deepEqual(statuses, [200, 303], 'exactly the device signed out must sign in again');
});

test('changing the password needs the current one; it signs out every other device and app, keeps this one, and mails the owner', async () => {
  const { user, client, tokens, browser, refresh } = await signedInApp();
  const other = (await authorizationCodeFlow(server, await discover(server, client), user)).browser;
  const html = await accountPage(browser);
  const wrong = await browser.submitForm({ url: server.url, html }, '/account/password', { current_password: 'not it at all', new_password: 'a brand new passphrase' }, server.url);
  assert.equal(wrong.response?.status, 401);
  assert.match(await wrong.response!.text(), /current password is not correct/);

  const tooShort = await browser.submitForm({ url: server.url, html }, '/account/password', { current_password: user.password, new_password: 'short' }, server.url);
  assert.equal(tooShort.response?.status, 400);

  const changed = await browser.submitForm({ url: server.url, html }, '/account/password', { current_password: user.password, new_password: 'a brand new passphrase' }, server.url);
  assert.equal(changed.response?.status, 200);
  assert.match(await changed.response!.text(), /Password changed/);
  assert.equal((await refresh(tokens.refresh_token!)).body.error, 'invalid_grant', 'old refresh tokens are dead');
  assert.equal((await other.request(`${server.url}/account`)).status, 303, 'the other device must sign in again');
  assert.equal((await browser.follow(`${server.url}/account`, server.url)).response?.status, 200, 'this device stays signed in');
  await assert.rejects(server.gatehouse.services.accounts.authenticate(user.email, user.password));
  await server.gatehouse.services.accounts.authenticate(user.email, 'a brand new passphrase');
  const mails = await outboxMails(server, dataDir);
  assert.ok(mails.some((mail) => mail.to === user.email && /password was changed/i.test(mail.subject)));
});
