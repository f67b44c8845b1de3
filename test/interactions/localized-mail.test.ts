/**
 * Issue #21.5, acceptance 3 (over HTTP): a mail goes out in the language stored on the account —
 * the page language at registration, or at the first sign-in of an account an operator made —
 * never in the language of whoever triggers it; both parts present, the link working, and a name
 * with HTML in it escaped in the HTML part. Every template in every language is rendered by
 * test/unit/mail/templates.test.ts; this file keeps to a few sends end to end.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as oidc from 'openid-client';
import { Browser } from '../harness/browser.ts';
import { authorizationRequestUrl, createUser, createWebClient, signInThroughPages, uniqueEmail } from '../harness/fixtures.ts';
import { outboxMails, type SentMail } from '../harness/outbox.ts';
import { startServer, type TestServer } from '../harness/server.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-mail-i18n-'));
let server: TestServer;
let client: { clientId: string; clientSecret: string };
before(async () => {
  server = await startServer({ env: { GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_PRODUCT_NAME: 'Acme ID', GATEHOUSE_PRIMARY_COLOR: '#0b6e4f' } });
  client = await createWebClient(server);
});
after(async () => {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const passphrase = 'lantern orbit meadow quartz';
const mailsTo = (email: string) => outboxMails(server, dataDir, email);
const linkIn = (mail: SentMail) => {
  const line = mail.text.split('\n').find((l) => l.startsWith(server.url));
  assert.ok(line, 'the link stands on a line of its own in the text part');
  return line;
};
const loginUrl = () => authorizationRequestUrl(server.url, client.clientId, oidc.randomPKCECodeVerifier(), { scope: 'openid' });

async function forgot(browser: Browser, email: string) {
  const page = await browser.follow(`${server.url}/password/forgot`, server.url);
  const sent = await browser.submitForm({ url: server.url, html: await page.response!.text() }, '/password/forgot', { email }, server.url);
  assert.equal(sent.response?.status, 200);
}

test('registered in German: the verification mail is German, HTML and text, the link works; the HTML in the name is escaped', async () => {
  const browser = new Browser('gatehouse-test-browser', { 'accept-language': 'de-DE,de;q=0.9,en;q=0.5' });
  const email = uniqueEmail('de');
  const name = '<img src=x onerror="alert(1)"> Jörg';
  const login = await browser.follow(await loginUrl(), server.url);
  const registerLink = /href="(\/interaction\/[^"]+\/register)"/.exec(await login.response!.text())![1]!;
  const form = await browser.follow(new URL(registerLink, server.url), server.url);
  const registered = await browser.submitForm({ url: server.url, html: await form.response!.text() }, /\/register$/, { email, password: passphrase, name }, server.url);
  assert.match(await registered.response!.text(), /Sehen Sie in Ihr Postfach/);

  const [mail] = await mailsTo(email);
  assert.ok(mail, 'a verification mail was sent');
  assert.equal(mail.subject, 'Bestätigen Sie Ihre E-Mail-Adresse');
  assert.ok(mail.text.includes('Willkommen bei Acme ID.'), 'text part in German, with the product name');
  const html = mail.html ?? '';
  assert.ok(html.startsWith('<!doctype html>') && html.includes('<html lang="de">'), 'an HTML part in German');
  assert.ok(html.includes('#0b6e4f'), 'themed with the primary colour');
  const link = linkIn(mail);
  assert.ok(html.includes(`href="${link.replaceAll('&', '&amp;')}"`), 'the same link in the HTML part');
  assert.ok(!html.includes('<img src=x'), 'the name cannot add markup to the HTML part');
  assert.ok(html.includes('Hallo &lt;img src=x onerror=&quot;alert(1)&quot;&gt; Jörg,'), 'the name, escaped');
  assert.ok(mail.text.startsWith(`Hallo ${name},`), 'the text part shows the name as typed');
  const confirm = await browser.follow(link, server.url);
  assert.equal(confirm.response?.status, 200, 'the link opens the confirm page');
});

test('an account made by an operator: mails in the server default until its first sign-in, then in that language for good — whoever asks', async () => {
  const user = await createUser(server);
  // A stranger with a Japanese browser asks for a reset of this account: the mail is not in Japanese.
  await forgot(new Browser('stranger', { 'accept-language': 'ja' }), user.email);
  const [first] = await mailsTo(user.email);
  assert.equal(first?.subject, 'Reset your password', 'no stored language yet: English, the server default');

  await signInThroughPages(server, await loginUrl(), user, new Browser('owner', { 'accept-language': 'pt-BR,pt;q=0.9' }));
  await signInThroughPages(server, await loginUrl(), user, new Browser('owner-travelling', { 'accept-language': 'fr-FR' }));
  await forgot(new Browser('stranger-2', { 'accept-language': 'ja' }), user.email);
  const second = (await mailsTo(user.email)).at(-1)!;
  assert.equal(second.subject, 'Redefina sua senha', 'the language of the first sign-in (Portuguese), kept');
  assert.ok(second.html?.includes('<html lang="pt-BR">'));
  const reset = await new Browser().follow(linkIn(second), server.url);
  assert.equal(reset.response?.status, 200, 'the reset link works');
});

test('discovery lists the page languages; ui_locales and Accept-Language reach the new ones', async () => {
  const discovery = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as { ui_locales_supported: string[] };
  assert.deepEqual(discovery.ui_locales_supported, ['en', 'es', 'zh-Hans', 'fr', 'de', 'pt-BR', 'ja']);
  const url = await authorizationRequestUrl(server.url, client.clientId, oidc.randomPKCECodeVerifier(), { scope: 'openid', ui_locales: 'ja-JP en' });
  const japanese = await (await new Browser('ja', { 'accept-language': 'fr' }).follow(url, server.url)).response!.text();
  assert.match(japanese, /<html lang="ja"/);
  assert.ok(japanese.includes('パスワードをお忘れですか？'));
  const french = await (await new Browser('fr', { 'accept-language': 'fr-CA,fr;q=0.9' }).follow(await loginUrl(), server.url)).response!.text();
  assert.match(french, /<html lang="fr"/);
  assert.ok(french.includes('Mot de passe oublié\u202f?'));
});
