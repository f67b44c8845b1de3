/**
 * The page tour (issue 21, acceptance 1 and 2): every page and every error state a person can
 * meet, in every language the catalog offers (read from the code, so a new language is toured
 * once it lands), at desktop and 390 px. Each page is screenshotted into
 * test-artifacts/screenshots/<mode>/tour/, checked with axe (no serious or critical violation; once
 * per page and language, at desktop — the DOM is the same at 390 px),
 * and — on a non-English page — checked for oidc-provider's and our English developer text.
 *
 * The other pages are reached the way a person reaches them, in the context's own session: a device
 * authorization (one per visit, for a device-flow client) whose code is entered on /device,
 * confirmed and approved; two-factor authentication turned on from /account (the key page, then the
 * recovery codes), so the next sign-in asks for the code; a password reset requested and its mailed
 * link followed; a registration and its mailed verification link followed and used.
 *
 * Each error state is reached by doing what causes it: an unknown client_id, a redirect_uri the
 * client never registered, a sign-in cancelled on the account page, the interaction cookie cleared
 * before submitting, wrong passwords until the limits answer, and the interaction left until it
 * expires (the test clock moves past GATEHOUSE_INTERACTION_TTL; the browser still has its cookie).
 *
 * Pages do not depend on storage, so the tour runs in embedded mode only (CI time): one server,
 * one browser, one context per language, a few contexts at a time. Each page is checked at desktop
 * width, then the same page is resized to 390 px and screenshotted again: the DOM is the same at
 * both widths (only CSS media queries differ), so walking every flow twice would prove nothing more.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as oidc from 'openid-client';
import { generate } from 'otplib/functional';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEVICE_CODE_GRANT } from '../../src/clients/index.ts';
import { LOCALES } from '../../src/http/i18n.ts';
import { assertAccessible } from '../harness/axe.ts';
import { Browser as HttpBrowser } from '../harness/browser.ts';
import { announceSkip, launchChromium, skipWithoutChromium } from '../harness/chromium.ts';
import { createTestClock } from '../harness/clock.ts';
import { createWebClient, uniqueEmail } from '../harness/fixtures.ts';
import { pageChecksSkipped, storageMode } from '../harness/mode.ts';
import { outboxMails } from '../harness/outbox.ts';
import { startServer, type TestServer } from '../harness/server.ts';

const skip = skipWithoutChromium || pageChecksSkipped();
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'screenshots', storageMode(), 'tour');
const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-tour-'));
const INTERACTION_TTL = 600;
const VIEWPORTS = { desktop: { width: 1000, height: 760 }, mobile: { width: 390, height: 844 } } as const;
/** How many languages are toured at once (the CI machine has two cores; 7 languages go in two batches). */
const PARALLEL = 4;
/**
 * English developer text that must never be visible on a non-English page: oidc-provider's
 * error descriptions and codes, raw User-Agents, Koa's plain 404. (The collapsed "details for the
 * app's developer" part may hold them; closed, it is not visible text.)
 */
const DEVELOPER_TEXT = [
  'interaction session',
  'cookie not found',
  'redirect_uri',
  'registered redirect',
  'client is invalid',
  'invalid_request',
  'invalid_client',
  'invalid_redirect_uri',
  'access_denied',
  'The user denied',
  'Not Found',
  'Mozilla/5.0',
  'HeadlessChrome',
  'unknown device',
  'the application',
];

const clock = createTestClock();
let server: TestServer;
let browser: Browser;
let app: Server;
let appUrl: string;
let clientId: string;
let api: string;
let deviceClient: oidc.Configuration;
const password = 'saffron lantern quarry 58';

before(async () => {
  if (announceSkip() || skip) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await startServer({ clock, env: { GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_TRUST_PROXY: 'true', GATEHOUSE_INTERACTION_TTL: String(INTERACTION_TTL) } });
  app = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>App</title><h1>App</h1>'));
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  api = 'https://invoices.example.test';
  await server.gatehouse.services.apis.create({
    identifier: api,
    name: 'Invoices',
    scopes: [{ name: 'invoices:read', description: 'See your invoices', descriptions: { es: 'Ver tus facturas', zh: '查看你的发票' } }],
  });
  ({ clientId } = await createWebClient(server, {
    name: 'Notes App',
    redirectUris: [`${appUrl}/callback`],
    scopes: ['openid', 'email', 'offline_access', 'invoices:read'],
    resources: [api],
  }));
  const { client: device } = await server.gatehouse.services.clients.create({
    name: 'Deploy CLI',
    type: 'public',
    grantTypes: [DEVICE_CODE_GRANT],
    scopes: ['openid'],
    firstParty: true,
  });
  deviceClient = await oidc.discovery(new URL(server.url), device.clientId, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  app?.close();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function authorizeUrl(params: Record<string, string> = {}) {
  const url = new URL(`${server.url}/auth`);
  url.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid email invoices:read',
    resource: api,
    redirect_uri: `${appUrl}/callback`,
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
    ...params,
  }).toString();
  return url.href;
}

/** One language: its own browser context, user and client IP. */
class Visit {
  readonly shots: string[] = [];
  readonly lang: string;
  readonly context: BrowserContext;
  constructor(lang: string, context: BrowserContext) {
    this.lang = lang;
    this.context = context;
  }

  /**
   * The page's language, no English developer text on a non-English page, axe, and a screenshot
   * at each width (the page resized in place, then back).
   */
  async check(page: Page, name: string) {
    const label = `${this.lang}/${name}`;
    assert.equal((await page.locator('html').getAttribute('lang'))?.split('-')[0], this.lang, `${label}: the page is in the asked language`);
    const visible = await page.locator('body').innerText();
    if (this.lang !== 'en') {
      for (const text of DEVELOPER_TEXT) assert.ok(!visible.includes(text), `${label}: English developer text "${text}" is visible:\n${visible}`);
    }
    await assertAccessible(page, label);
    for (const viewport of ['desktop', 'mobile'] as const) {
      await page.setViewportSize(VIEWPORTS[viewport]);
      await page.screenshot({ path: join(ARTIFACTS, `${this.lang}-${viewport}-${name}.png`), fullPage: true });
    }
    await page.setViewportSize(VIEWPORTS.desktop);
    this.shots.push(name);
  }
}

async function signInForm(page: Page, email: string, secret: string) {
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(secret);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && /\/login$/.test(new URL(r.url()).pathname)),
    page.locator('form[action$="/login"] button[type=submit]').click(),
  ]);
  await page.waitForLoadState();
  return response.status();
}

/** The link in the last mail to `email` whose link goes to `path`. */
async function mailedLink(email: string, path: string): Promise<string> {
  const links = (await outboxMails(server, dataDir, email)).map((mail) => /(http\S+\?token=\S+)/.exec(mail.text)?.[1]).filter((link) => link?.includes(`${path}?`));
  assert.ok(links.length, `a mail to ${email} with a ${path} link`);
  return links.at(-1)!;
}

/** Everything but the expiry; leaves a sign-in page open for the expiry phase. */
async function tour(visit: Visit, index: number): Promise<Page> {
  const email = uniqueEmail(`tour-${visit.lang}`);
  await server.gatehouse.services.accounts.create({ email, password, emailVerified: true, name: 'Tour Person' });
  const page = await visit.context.newPage();

  await page.goto(`${server.url}/`);
  await page.locator('a[href="/account"]').waitFor();
  await visit.check(page, 'home');

  assert.equal((await page.goto(`${server.url}/no-such-page`))?.status(), 404);
  await visit.check(page, 'error-404');

  assert.equal((await page.goto(await authorizeUrl({ client_id: 'no-such-client' })))?.status(), 400);
  await visit.check(page, 'error-unknown-client');

  assert.equal((await page.goto(await authorizeUrl({ redirect_uri: `${appUrl}/not-registered` })))?.status(), 400);
  await visit.check(page, 'error-redirect-uri');
  // The developer still gets the detail, collapsed, with the reference id (also in the log).
  await page.locator('details.developer summary').click();
  assert.match(await page.locator('details.developer').innerText(), /redirect_uri did not match/);

  await page.goto(await authorizeUrl());
  await page.locator('#password').waitFor();
  await visit.check(page, 'login');
  if (index === 0) {
    await page.locator('a[href*="/register"]').click();
    await page.locator('form').first().waitFor();
    await visit.check(page, 'register');
    await page.goBack();
  }
  assert.equal(await signInForm(page, email, 'not the password at all'), 401);
  await visit.check(page, 'login-error');
  await signInForm(page, email, password);

  // Consent for an API: its name and the scope's description from the API record, in this language.
  await page.locator('form[action$="/confirm"]').waitFor();
  const scopes = await page.locator('ul.scopes').innerText();
  assert.match(scopes, /Invoices/);
  assert.ok(!scopes.includes('invoices:read') && !scopes.includes(api), `no raw scope or URL on the consent page: ${scopes}`);
  if (visit.lang === 'es') assert.match(scopes, /Ver tus facturas/);
  await visit.check(page, 'consent-api');
  await Promise.all([page.waitForURL(`${appUrl}/callback**`), page.locator('form[action$="/confirm"] button').click()]);

  // The account page: "Chrome on Linux", times relative, the exact time in <time datetime>.
  await page.goto(`${server.url}/account`);
  const session = page.locator('ul.items li').first();
  await session.waitFor();
  assert.match(await session.innerText(), /Chrome/);
  assert.match((await session.locator('time').first().getAttribute('datetime')) ?? '', /^\d{4}-\d\d-\d\dT/);
  assert.ok(await session.locator('time').first().getAttribute('title'));
  await visit.check(page, 'account');

  // A device: the code entered on /device (the link fills it in), confirmed, approved in this session.
  const device = await oidc.initiateDeviceAuthorization(deviceClient, { scope: 'openid' });
  await page.goto(device.verification_uri_complete!);
  assert.equal(await page.locator('#user_code').inputValue(), device.user_code);
  await visit.check(page, 'device');
  await page.locator('form:has(#user_code) button[type=submit]').click();
  await page.locator('input[name="confirm"]').waitFor({ state: 'attached' });
  assert.ok((await page.locator('main').innerText()).includes(device.user_code));
  await visit.check(page, 'device-confirm');
  await page.locator('form:has(input[name="confirm"]) button[type=submit]').click();
  await page.locator('p[role=status]').waitFor();
  assert.match(await page.locator('p[role=status]').innerText(), /Deploy CLI/, 'the device was approved');
  await visit.check(page, 'device-done');

  // Two-factor authentication, turned on from the account page: the key (and QR), then the recovery codes.
  await page.goto(`${server.url}/account/mfa`);
  const secret = (await page.locator('#totp-secret').textContent())!.replaceAll(' ', '');
  await visit.check(page, 'mfa-enrol');
  await page.locator('#code').fill(await generate({ secret, epoch: Math.floor(Date.now() / 1000) }));
  await page.locator('form[action="/account/mfa"] button[type=submit]').click();
  await page.locator('#recovery-codes').waitFor();
  await visit.check(page, 'mfa-codes');

  await page.goto(`${server.url}/session/end`);
  await page.locator('button[type=submit]').first().waitFor();
  await visit.check(page, 'logout');

  // Cookies blocked: the sign-in form comes back without its cookies (the form check answers
  // first), and the sign-in page itself is opened without the interaction cookie.
  await page.goto(await authorizeUrl({ prompt: 'login' }));
  await page.locator('#password').waitFor();
  const signInPage = page.url();
  await visit.context.clearCookies();
  assert.equal(await signInForm(page, email, password), 403);
  await visit.check(page, 'error-form-expired');
  await visit.context.clearCookies();
  assert.equal((await page.goto(signInPage))?.status(), 400);
  await visit.check(page, 'error-cookies');

  // Signed out now, with two-factor authentication on: the next sign-in asks for the code.
  await page.goto(await authorizeUrl());
  await signInForm(page, email, password);
  await page.locator('form[action$="/mfa"] #code').waitFor();
  await visit.check(page, 'mfa');

  // Access denied: the person cancels the sign-in the account page started.
  await page.goto(`${server.url}/account`);
  await page.locator('#password').waitFor();
  await Promise.all([
    page.waitForURL(`${server.url}/account/callback**`),
    page.locator('form[action$="/abort"] button, a[href$="/abort"]').first().click(),
  ]);
  await visit.check(page, 'error-access-denied');

  await page.goto(`${server.url}/password/forgot`);
  await page.locator('#email').waitFor();
  await visit.check(page, 'forgot');
  await page.locator('#email').fill(email);
  await page.locator('form[action="/password/forgot"] button[type=submit]').click();
  await page.locator('form[action="/password/forgot"]').waitFor({ state: 'detached' });
  await visit.check(page, 'forgot-sent');
  await page.goto(await mailedLink(email, '/password/reset'));
  await page.locator('form[action="/password/reset"] #password').waitFor();
  await visit.check(page, 'reset');

  // A new account: registration, then the mailed link to confirm the address, used.
  const newcomer = uniqueEmail(`tour-new-${visit.lang}`);
  await page.goto(await authorizeUrl());
  await page.locator('a[href*="/register"]').click();
  await page.locator('#name').fill('New Person');
  await page.locator('#email').fill(newcomer);
  await page.locator('#password').fill(password);
  await page.locator('form[action$="/register"] button[type=submit]').click();
  await page.locator('form[action$="/register"]').waitFor({ state: 'detached' });
  await page.goto(await mailedLink(newcomer, '/verify-email'));
  await page.locator('form[action="/verify-email"]').waitFor();
  await visit.check(page, 'verify-email');
  await page.locator('form[action="/verify-email"] button[type=submit]').click();
  await page.locator('form[action="/verify-email"]').waitFor({ state: 'detached' });
  await visit.check(page, 'email-verified');

  // Too many attempts: wrong passwords for someone else's account until the limits answer.
  await page.goto(await authorizeUrl());
  const target = uniqueEmail('tour-target');
  let status = 0;
  for (let attempt = 0; attempt < 20 && status !== 429; attempt += 1) status = await signInForm(page, target, `wrong ${attempt}`);
  assert.equal(status, 429, 'the limits answer within 20 attempts');
  await visit.check(page, 'error-too-many');

  // Left open for the expiry phase.
  const waiting = await visit.context.newPage();
  await waiting.goto(await authorizeUrl());
  await waiting.locator('#password').waitFor();
  return waiting;
}

async function inBatches<T, R>(items: T[], size: number, run: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size) {
    results.push(...(await Promise.all(items.slice(start, start + size).map((item, i) => run(item, start + i)))));
  }
  return results;
}

test('every page and error state, in every catalog language, at desktop and 390 px', { skip, timeout: 20 * 60_000 }, async () => {
  const visits = await Promise.all(
    LOCALES.map(
      async (lang, i) => new Visit(lang, await browser.newContext({ locale: lang, viewport: VIEWPORTS.desktop, extraHTTPHeaders: { 'x-forwarded-for': `198.51.100.${10 + i}` } })),
    ),
  );
  try {
    const waiting = await inBatches(visits, PARALLEL, (visit, index) => tour(visit, index));
    // Expired interaction: time passes beyond the interaction's lifetime; the browsers keep their
    // cookie. The server runs in this process: Gatehouse's own code reads the test clock, while
    // oidc-provider's expiry check and the embedded store's TTLs read Date.now, so both move.
    clock.advance(INTERACTION_TTL + 60);
    const realNow = Date.now;
    Date.now = () => realNow() + (INTERACTION_TTL + 60) * 1000;
    try {
      await expiryPhase(visits, waiting);
    } finally {
      Date.now = realNow;
    }
    const expected = visits[0]!.shots;
    for (const visit of visits) assert.ok(visit.shots.length >= expected.length - 1, `${visit.lang} visited every page: ${visit.shots}`);
  } finally {
    await Promise.all(visits.map((visit) => visit.context.close()));
  }
});

function expiryPhase(visits: Visit[], waiting: Page[]) {
  return inBatches(visits, PARALLEL, async (visit, index) => {
    const page = waiting[index]!;
    assert.equal(await signInForm(page, 'someone@example.test', password), 400);
    assert.equal(await page.locator('#password').count(), 0, `${visit.lang}: the expired sign-in is not shown again`);
    assert.equal(await page.locator('details.developer').count(), 1, 'the developer detail is there, collapsed');
    await visit.check(page, 'error-expired');
  });
}

test('a native client signing in again is asked to confirm what it keeps, never shown an empty consent page', { skip }, async () => {
  // The cause of the empty page: oidc-provider asks a native client (loopback redirect URI) for
  // consent on every sign-in (`native_client_prompt`) even when nothing is missing; the page listed
  // only what was missing, i.e. nothing.
  const { clientId: nativeId } = await createWebClient(server, {
    name: 'Desktop Notes',
    type: 'public',
    redirectUris: ['http://127.0.0.1:9/callback'],
    scopes: ['openid', 'email'],
  });
  const email = uniqueEmail('native');
  await server.gatehouse.services.accounts.create({ email, password, emailVerified: true });
  const person = new HttpBrowser();
  const url = async () => {
    const auth = new URL(`${server.url}/auth`);
    auth.search = new URLSearchParams({
      client_id: nativeId,
      response_type: 'code',
      scope: 'openid email',
      redirect_uri: 'http://127.0.0.1:9/callback',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    }).toString();
    return auth;
  };
  const scopesOn = (html: string) => [...(/<ul class="scopes">([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? '').matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1]);

  let step = await person.follow(await url(), server.url);
  step = await person.submitForm({ url: server.url, html: await step.response!.text() }, /\/login$/, { email, password }, server.url);
  const first = await step.response!.text();
  assert.deepEqual(scopesOn(first), ['Know who you are', 'See your email address']);
  step = await person.submitForm({ url: server.url, html: first }, /\/confirm$/, {}, server.url);
  assert.ok(step.leftTo, 'back at the app');

  // Signed in already, everything granted: oidc-provider still asks (native client).
  step = await person.follow(await url(), server.url);
  assert.ok(step.response, 'a consent page again, not a silent redirect');
  const again = await step.response.text();
  assert.match(again, /asks you to confirm that it may continue/);
  assert.deepEqual(scopesOn(again), ['Know who you are', 'See your email address'], 'the page lists what the app keeps');
  step = await person.submitForm({ url: server.url, html: again }, /\/confirm$/, {}, server.url);
  assert.equal(step.leftTo?.searchParams.has('code'), true);
});
