/**
 * The small things people notice on the sign-in pages (issue 21, part 6), in a real browser: a
 * show-password switch that needs script only to appear, a way back from the forgotten-password
 * form, the TOTP key in groups of four, a way out of enrolment, recovery codes as a file.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import * as oidc from 'openid-client';
import { generate } from 'otplib/functional';
import type { Browser, Page } from 'playwright-core';
import { announceSkip, launchChromium, skipWithoutChromium } from '../harness/chromium.ts';
import { createWebClient, uniqueEmail } from '../harness/fixtures.ts';
import { startServer, type TestServer } from '../harness/server.ts';

const skip = skipWithoutChromium;

let server: TestServer;
let browser: Browser;
let app: Server;
let appUrl: string;
let clientId: string;
const received: URL[] = [];

before(async () => {
  if (announceSkip()) return;
  server = await startServer();
  app = createServer((req, res) => {
    const url = new URL(req.url ?? '/', appUrl);
    if (url.pathname === '/callback') received.push(url);
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>App</title><h1>App</h1>');
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  ({ clientId } = await createWebClient(server, { name: 'Details App', redirectUris: [`${appUrl}/callback`] }));
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  app?.close();
  await server?.close();
});

async function openSignIn(page: Page, extra: Record<string, string> = {}) {
  const url = new URL(`${server.url}/auth`);
  url.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: `${appUrl}/callback`,
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
    ...extra,
  }).toString();
  await page.goto(url.href);
  await page.locator('#password').waitFor();
}

test('the password can be shown and hidden again; without script the field simply stays hidden', { skip }, async () => {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  await openSignIn(page);
  const password = page.locator('#password');
  await password.fill('copper meadow signal 77');
  assert.equal(await password.getAttribute('type'), 'password');
  await page.getByRole('button', { name: 'Show password' }).click();
  assert.equal(await password.getAttribute('type'), 'text');
  assert.equal(await page.getByRole('button', { name: 'Hide password' }).getAttribute('aria-pressed'), 'true');
  await page.getByRole('button', { name: 'Hide password' }).click();
  assert.equal(await password.getAttribute('type'), 'password');
  await context.close();

  const noScript = await browser.newContext({ locale: 'es-ES', javaScriptEnabled: false });
  const plain = await noScript.newPage();
  await openSignIn(plain);
  assert.equal(await plain.getByRole('button', { name: /contraseña/ }).count(), 0, 'no dead switch without script');
  await noScript.close();
});

test('from the forgotten-password form, "Back to sign in" returns to the same sign-in; a forged target goes to the account page', { skip }, async () => {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  await openSignIn(page);
  const signInUrl = page.url();
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
  await page.getByRole('link', { name: 'Back to sign in' }).click();
  await page.locator('#password').waitFor();
  assert.equal(new URL(page.url()).pathname, new URL(signInUrl).pathname, 'the same sign-in, not a new one');

  await page.goto(`${server.url}/password/forgot?back=${encodeURIComponent('//evil.example/phish')}`);
  assert.equal(await page.getByRole('link', { name: 'Back to sign in' }).getAttribute('href'), '/account');
  await context.close();
});

test('enrolment shows the key in groups of four and a way out; recovery codes download as a text file', { skip }, async () => {
  const email = uniqueEmail('details');
  const password = 'indigo falcon harbour 31';
  await server.gatehouse.services.accounts.create({ email, password, emailVerified: true });
  const context = await browser.newContext({ locale: 'en-US', acceptDownloads: true });
  const page = await context.newPage();

  // A sign-in that requires a second factor parks the user at enrolment: Cancel returns to the app.
  await openSignIn(page, { acr_values: 'urn:gatehouse:loa:2' });
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(password);
  await page.locator('form[action$="/login"] button[type=submit]').click();
  await page.locator('#totp-secret').waitFor();
  assert.match((await page.locator('#totp-secret').textContent()) ?? '', /^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/);
  await page.getByRole('button', { name: 'Cancel and return to the application' }).click();
  await page.waitForURL(`${appUrl}/callback**`);
  assert.equal(received.at(-1)!.searchParams.get('error'), 'access_denied');

  // From the account page: "Back to your account", then enrol and download the codes.
  await page.goto(`${server.url}/account`);
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(password);
  await page.locator('form[action$="/login"] button[type=submit]').click();
  await page.getByRole('link', { name: 'Turn on two-factor authentication' }).click();
  await page.getByRole('link', { name: 'Back to your account' }).click();
  await page.getByRole('link', { name: 'Turn on two-factor authentication' }).click();
  const secret = (await page.locator('#totp-secret').textContent())!.replaceAll(' ', '');
  await page.getByLabel('Code from the app').fill(await generate({ secret }));
  await page.getByRole('button', { name: 'Turn on' }).click();
  const shown = (await page.locator('#recovery-codes li').allTextContents()).map((code) => code.trim());
  assert.equal(shown.length, 10);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download the codes as a text file' }).click()]);
  assert.match(download.suggestedFilename(), /recovery-codes\.txt$/);
  const file = await readFile((await download.path())!, 'utf8');
  assert.deepEqual(file.trim().split(/\r\n/), shown, 'the file holds exactly the codes on the page');
  await context.close();
});
