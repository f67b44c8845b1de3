/**
 * OIDC Core §3.1.2.1: authorization requests by POST. Over HTTP with the test browser, and in
 * Chromium from a cross-site page (the case SameSite cookies make hard): a signed-in user's
 * `prompt=none` request posted by another site must still find the session.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import * as oidc from 'openid-client';
import { type Browser as Chromium, chromium } from 'playwright-core';
import { Browser } from '../../harness/browser.ts';
import { authorizationRequestUrl, createUser, createWebClient } from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';

const CHROMIUM = process.env.GATEHOUSE_TEST_CHROMIUM ?? '/usr/bin/chromium';
const noChromium = !existsSync(CHROMIUM) && `Chromium not found at ${CHROMIUM}: the cross-site POST test is skipped (apt-get install chromium)`;

let server: TestServer;
let client: { clientId: string; clientSecret: string };
let user: { email: string; password: string };
let app: Server;
let appUrl: string;
before(async () => {
  server = await startServer();
  // The app lives on another site (localhost vs 127.0.0.1): its form POST to /auth is cross-site.
  app = createServer((req, res) => {
    const url = new URL(req.url ?? '/', appUrl);
    if (url.pathname === '/post') {
      const fields = [...url.searchParams].map(([name, value]) => `<input type="hidden" name="${name}" value="${value}">`).join('');
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><form method="post" action="${server.url}/auth">${fields}</form><script>document.forms[0].submit()</script>`);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>App</title>');
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  appUrl = `http://localhost:${(app.address() as AddressInfo).port}`;
  client = await createWebClient(server, { redirectUris: [`${appUrl}/callback`, 'http://127.0.0.1:9/callback'] });
  user = await createUser(server);
});
after(async () => {
  app?.close();
  await server.close();
});

const postForm = (browser: Browser, body: URLSearchParams | string, contentType = 'application/x-www-form-urlencoded') =>
  browser.request(`${server.url}/auth`, { method: 'POST', headers: { 'content-type': contentType }, body });

test('POST /auth answers 303 to the same request as GET, which oidc-provider then handles as any GET', async () => {
  const url = await authorizationRequestUrl(server.url, client.clientId, oidc.randomPKCECodeVerifier(), { state: 'posted' });
  const browser = new Browser();
  const response = await postForm(browser, url.searchParams);
  assert.equal(response.status, 303);
  const location = new URL(response.headers.get('location') ?? '', server.url);
  assert.equal(location.pathname, '/auth');
  assert.deepEqual([...location.searchParams], [...url.searchParams], 'every parameter, in order');
  const followed = await browser.follow(location, server.url);
  assert.match((await followed.response?.text()) ?? '', /\/login"/, 'the sign-in page of a normal authorization request');
});

test('POST /auth: duplicate parameters are refused as for GET; a non-form body is 415, an oversized one 413', async () => {
  const url = await authorizationRequestUrl(server.url, client.clientId, oidc.randomPKCECodeVerifier());
  const browser = new Browser();
  const duplicated = `${url.searchParams}&scope=openid`;
  const redirected = await postForm(browser, duplicated);
  assert.equal(redirected.status, 303);
  const refused = await browser.follow(new URL(redirected.headers.get('location')!, server.url), server.url);
  assert.equal(refused.leftTo?.searchParams.get('error'), 'invalid_request', 'sent back to the client as for a GET');
  assert.match(refused.leftTo?.searchParams.get('error_description') ?? '', /scope/);
  // Both refusals are the error page a person can read (the one error map), not bare text.
  for (const [refusal, status] of [
    [await postForm(browser, JSON.stringify({ client_id: client.clientId }), 'application/json'), 415],
    [await postForm(browser, new URLSearchParams({ client_id: client.clientId, state: 'x'.repeat(200 * 1024) })), 413],
  ] as const) {
    assert.equal(refusal.status, status);
    assert.match(refusal.headers.get('content-type') ?? '', /^text\/html/, `${status}: an error page`);
    const page = await refusal.text();
    assert.match(page, /<html lang="en"/, `${status}: the layout's page`);
    assert.doesNotMatch(page, /at \S+\.ts:\d+/, `${status}: no stack trace`);
  }
});

test('from a cross-site page in Chromium, a signed-in user’s POSTed prompt=none request gets a code (single sign-on kept, cookies stay SameSite=Lax)', { skip: noChromium }, async () => {
  const browser: Chromium = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update'] });
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const redirectUri = `${appUrl}/callback`;
    await page.goto((await authorizationRequestUrl(server.url, client.clientId, oidc.randomPKCECodeVerifier(), { redirect_uri: redirectUri })).href);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.href.startsWith(redirectUri));

    const silent = await authorizationRequestUrl(server.url, client.clientId, oidc.randomPKCECodeVerifier(), {
      redirect_uri: redirectUri,
      scope: 'openid',
      prompt: 'none',
      state: 'posted-cross-site',
    });
    await page.goto(`${appUrl}/post?${silent.searchParams}`);
    await page.waitForURL((url) => url.href.startsWith(redirectUri) && url.searchParams.get('state') === 'posted-cross-site', { timeout: 30_000 });
    const landed = new URL(page.url());
    assert.equal(landed.searchParams.get('error'), null, `no ${landed.searchParams.get('error')}: the session was found`);
    assert.ok(landed.searchParams.get('code'));
    const cookies = await context.cookies(server.url);
    assert.ok(cookies.length > 0);
    for (const cookie of cookies) assert.equal(cookie.sameSite, 'Lax', `${cookie.name} stays SameSite=Lax`);
  } finally {
    await browser.close();
  }
});
