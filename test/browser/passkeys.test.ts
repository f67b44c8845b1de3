/**
 * Passkeys in a real browser: Debian's Chromium with a CDP virtual authenticator (WebAuthn.enable
 * + WebAuthn.addVirtualAuthenticator: a CTAP2 platform authenticator with resident keys and user
 * verification). Enrol on /account, sign out, sign in with password + passkey (amr and acr loa:3
 * in the ID token), passwordless sign-in, remove — and axe on the new pages in en/es/zh. One
 * server and one browser for the file; the issuer is http://localhost:PORT (WebAuthn needs a
 * domain, and localhost is a secure context).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { assertAccessible } from '../harness/axe.ts';
import { announceSkip, launchChromium, skipWithoutChromium } from '../harness/chromium.ts';
import { authorizationRequestUrl, createWebClient, tokenRequest, uniqueEmail } from '../harness/fixtures.ts';
import { startServer, type TestServer } from '../harness/server.ts';

const skip = skipWithoutChromium;
let server: TestServer;
let browser: Browser;
let app: Server;
let appUrl: string;
let client: { clientId: string; clientSecret: string };

before(async () => {
  if (announceSkip()) return;
  server = await startServer({ hostname: 'localhost' });
  app = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>App</title><h1>Signed in</h1>'));
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  client = await createWebClient(server, { name: 'Staff Tool', redirectUris: [`${appUrl}/callback`] });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  app?.close();
  await server?.close();
});

/** A page of a fresh context with a virtual platform authenticator (resident keys, user verification). */
async function pageWithAuthenticator(): Promise<{ context: BrowserContext; page: Page; presence: (enabled: boolean) => Promise<unknown> }> {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  /** Off: the authenticator does not answer (the user has not touched it), so the login page's autofill request stays pending. */
  const presence = (enabled: boolean) => cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled });
  return { context, page, presence };
}

async function authorizationUrl(verifier: string) {
  return (await authorizationRequestUrl(server.url, client.clientId, verifier, { scope: 'openid', prompt: 'login consent', redirect_uri: `${appUrl}/callback` })).href;
}

/** Consent (if asked), then the app's callback: the ID token of the code it received. */
async function finishAt(page: Page, verifier: string) {
  const allow = page.locator('form[action$="/confirm"] button[type=submit]');
  await Promise.race([page.waitForURL(`${appUrl}/callback**`), allow.waitFor()]);
  if (!page.url().startsWith(appUrl)) {
    await allow.click();
    await page.waitForURL(`${appUrl}/callback**`);
  }
  const code = new URL(page.url()).searchParams.get('code')!;
  const tokens = await tokenRequest(server, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: `${appUrl}/callback` }, { id: client.clientId, secret: client.clientSecret });
  assert.equal(tokens.status, 200);
  return decodeJwt(String(tokens.body.id_token));
}

async function eachLanguage(page: Page, label: string, open: () => Promise<unknown>) {
  for (const lang of ['en', 'es', 'zh']) {
    // The context's locale sets Accept-Language on every request: the route rewrites it per language.
    const pattern = `${server.url}/**`;
    await page.route(pattern, (route) => route.continue({ headers: { ...route.request().headers(), 'accept-language': lang } }));
    await open();
    assert.match((await page.locator('html').getAttribute('lang')) ?? '', new RegExp(`^${lang}`));
    await assertAccessible(page, `${label} (${lang})`);
    await page.unroute(pattern);
  }
  await open();
}

test('enrol a passkey on /account, sign out, password + passkey (loa:3), passwordless, remove — axe in en/es/zh', { skip }, async () => {
  const email = uniqueEmail('webauthn');
  const password = 'amber quarry lantern 58';
  await server.gatehouse.services.accounts.create({ email, password, emailVerified: true });
  const { context, page, presence } = await pageWithAuthenticator();

  // Enrol on /account.
  await page.goto(`${server.url}/account`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: 'Passkeys' }).waitFor();
  await eachLanguage(page, 'account page with passkeys', () => page.goto(`${server.url}/account`));
  await page.getByLabel('Name of the passkey').fill('Work laptop');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.getByText('Passkey “Work laptop” added.').waitFor();
  await page.getByText(/Added \d{4}-\d\d-\d\d .* last used never/).waitFor();

  // Rename.
  await page.getByLabel('New name for Work laptop').fill('Office laptop');
  await page.getByRole('button', { name: 'Rename' }).click();
  await page.getByText('Passkey renamed to “Office laptop”.').waitFor();

  // Sign out (every session), then password + passkey.
  await page.getByRole('button', { name: /Sign out everywhere/ }).click();
  await presence(false);
  let verifier = oidc.randomPKCECodeVerifier();
  await page.goto(await authorizationUrl(verifier));
  await eachLanguage(page, 'login page with "Sign in with a passkey"', () => page.reload());
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('button', { name: 'Use a passkey' }).waitFor();
  await eachLanguage(page, 'second-factor page with a passkey', () => page.reload());
  await presence(true);
  await page.getByRole('button', { name: 'Use a passkey' }).click();
  const twoFactor = await finishAt(page, verifier);
  assert.deepEqual(twoFactor.amr, ['pwd', 'hwk', 'user']);
  assert.equal(twoFactor.acr, 'urn:gatehouse:loa:3');

  // Passwordless, by the browser's autofill (conditional mediation): the authenticator answers as soon as the login page asks…
  verifier = oidc.randomPKCECodeVerifier();
  await page.goto(await authorizationUrl(verifier));
  let passwordless = await finishAt(page, verifier);
  assert.deepEqual(passwordless.amr, ['hwk', 'user', 'mfa']);
  assert.equal(passwordless.acr, 'urn:gatehouse:loa:3');

  // …and by the button, in a browser without autofill for passkeys: the page offers the button only.
  // (Where autofill is on, its pending request answers as soon as the authenticator does, so
  // which of the two signs in would depend on timing.)
  await page.addInitScript({ content: "Object.defineProperty(PublicKeyCredential, 'isConditionalMediationAvailable', { value: async () => false });" });
  verifier = oidc.randomPKCECodeVerifier();
  await page.goto(await authorizationUrl(verifier));
  assert.equal(await page.evaluate('PublicKeyCredential.isConditionalMediationAvailable()'), false, 'this page has no passkey autofill');
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  passwordless = await finishAt(page, verifier);
  assert.deepEqual(passwordless.amr, ['hwk', 'user', 'mfa']);
  assert.equal(passwordless.acr, 'urn:gatehouse:loa:3');

  // Remove: the only factor of this account, so the passkey confirms it first.
  await page.goto(`${server.url}/account`);
  await page.getByText(/last used \d{4}/).waitFor();
  await page.getByRole('button', { name: 'Remove Office laptop' }).click();
  await page.getByText('Passkey removed. Two-factor authentication is now off.').waitFor();
  assert.equal(await page.getByText('You have no passkeys yet.').count(), 1);
  await server.gatehouse.services.audit.flush();
  const events = (await server.gatehouse.services.audit.query({ limit: 200 })).filter((e) => e.type.startsWith('passkey.'));
  for (const type of ['passkey.added', 'passkey.renamed', 'passkey.removed']) assert.ok(events.some((e) => e.type === type), type);
  await context.close();
});
