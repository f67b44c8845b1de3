import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as oidc from 'openid-client';
import { Browser } from '../harness/browser.ts';
import { authorizationCodeFlow, authorizationRequestUrl, createUser, createWebClient, discover, tokenRequest, uniqueEmail } from '../harness/fixtures.ts';
import { outboxMails } from '../harness/outbox.ts';
import { startServer, type TestServer } from '../harness/server.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-reg-'));
let server: TestServer;
let client: { clientId: string; clientSecret: string };
before(async () => {
  server = await startServer({ env: { GATEHOUSE_DATA_DIR: dataDir } });
  client = await createWebClient(server);
});
after(async () => {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const mailsTo = (email: string) => outboxMails(server, dataDir, email);
const linkIn = (text: string) => /(http\S+\?token=\S+)/.exec(text)![1]!;

async function loginPage(browser: Browser) {
  const url = await authorizationRequestUrl(server.url, client.clientId, oidc.randomPKCECodeVerifier(), { scope: 'openid', prompt: undefined });
  const step = await browser.follow(url, server.url);
  return { html: await step.response!.text() };
}

const passphrase = 'lantern orbit meadow quartz';

test('register → verification mail → unverified sign-in is held back → link confirms → sign-in completes', async () => {
  const browser = new Browser();
  const email = uniqueEmail('new');
  const login = await loginPage(browser);
  const registerLink = /href="(\/interaction\/[^"]+\/register)"/.exec(login.html)![1]!;
  const form = await browser.follow(new URL(registerLink, server.url), server.url);
  const registered = await browser.submitForm({ url: server.url, html: await form.response!.text() }, /\/register$/, { email, password: passphrase, name: 'Nova Reyes' }, server.url);
  assert.match(await registered.response!.text(), /Check your email/);
  const [mail] = await mailsTo(email);
  assert.ok(mail, 'a verification mail was sent');

  const signIn = await loginPage(browser);
  const held = await browser.submitForm({ url: server.url, html: signIn.html }, /\/login$/, { email, password: passphrase }, server.url);
  assert.equal(held.response?.status, 403, 'unverified accounts cannot complete an authorization');
  const resend = await browser.submitForm({ url: server.url, html: await held.response!.text() }, /\/resend-verification$/, {}, server.url);
  assert.match(await resend.response!.text(), /Check your email/);
  assert.equal((await mailsTo(email)).length, 2, 'a new link was sent');

  const latest = linkIn((await mailsTo(email)).at(-1)!.text);
  assert.equal((await browser.request(linkIn(mail.text))).status, 200, 'opening a link (GET) uses nothing');
  const confirmPage = await browser.follow(latest, server.url);
  const confirmed = await browser.submitForm({ url: server.url, html: await confirmPage.response!.text() }, '/verify-email', {}, server.url);
  assert.match(await confirmed.response!.text(), /confirmed/);
  const again = await browser.submitForm({ url: server.url, html: await (await browser.follow(latest, server.url)).response!.text() }, '/verify-email', {}, server.url);
  assert.equal(again.response?.status, 400, 'a link works once');

  const config = await discover(server, client);
  const { tokens } = await authorizationCodeFlow(server, config, { email, password: passphrase });
  assert.ok(tokens.access_token, 'the verified account signs in');
});

test('registering a taken email answers the same and mails the owner instead; weak passwords are refused with reasons', async () => {
  const owner = await createUser(server);
  const browser = new Browser();
  const login = await loginPage(browser);
  const uid = /\/interaction\/([^/"]+)\/register/.exec(login.html)![1]!;
  const form = await browser.follow(`${server.url}/interaction/${uid}/register`, server.url);
  const html = await form.response!.text();
  const taken = await browser.submitForm({ url: server.url, html }, /\/register$/, { email: owner.email, password: passphrase }, server.url);
  assert.match(await taken.response!.text(), /Check your email/);
  assert.ok((await mailsTo(owner.email)).some((mail) => /already have an account/i.test(mail.subject)));
  const weak = await browser.submitForm({ url: server.url, html }, /\/register$/, { email: uniqueEmail('weak'), password: 'password1234' }, server.url);
  assert.equal(weak.response?.status, 400);
  assert.match(await weak.response!.text(), /common password/);
});

test('password reset: same answer for any email, policy before the link is used, everything signed out after', async () => {
  const user = await createUser(server);
  const config = await discover(server, client);
  const { tokens } = await authorizationCodeFlow(server, config, user);
  const browser = new Browser();
  const forgot = await browser.follow(`${server.url}/password/forgot`, server.url);
  const forgotHtml = await forgot.response!.text();
  const known = await browser.submitForm({ url: server.url, html: forgotHtml }, '/password/forgot', { email: user.email }, server.url);
  const unknown = await browser.submitForm({ url: server.url, html: forgotHtml }, '/password/forgot', { email: uniqueEmail('ghost') }, server.url);
  assert.equal(known.response?.status, unknown.response?.status);
  assert.equal(await known.response!.text(), await unknown.response!.text(), 'identical answers');

  const link = linkIn((await mailsTo(user.email)).find((mail) => /reset your password/i.test(mail.subject))!.text);
  const resetPage = await browser.follow(link, server.url);
  const resetHtml = await resetPage.response!.text();
  const weak = await browser.submitForm({ url: server.url, html: resetHtml }, '/password/reset', { password: 'short' }, server.url);
  assert.equal(weak.response?.status, 400, 'a refused password does not burn the link');
  const done = await browser.submitForm({ url: server.url, html: resetHtml }, '/password/reset', { password: passphrase }, server.url);
  assert.match(await done.response!.text(), /password was changed/);
  const reuse = await browser.submitForm({ url: server.url, html: resetHtml }, '/password/reset', { password: `${passphrase} again` }, server.url);
  assert.equal(reuse.response?.status, 400, 'the link works once');

  const refresh = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, { id: client.clientId, secret: client.clientSecret });
  assert.equal(refresh.body.error, 'invalid_grant', 'old refresh tokens are dead');
  await server.gatehouse.services.accounts.authenticate(user.email, passphrase);
  assert.ok((await mailsTo(user.email)).some((mail) => /password was reset/i.test(mail.subject)), 'the owner is told');
});
