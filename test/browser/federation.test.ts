/**
 * #15 acceptance 1, in a real browser (Playwright + Debian's Chromium): the upstream is a real
 * OpenID provider started as its own process (bare oidc-provider with its own keys, on another
 * loopback port, with a user in groups). A person signs in at an app through Gatehouse via the
 * upstream; the account is created just in time; the group → role mapping shows in the access
 * token's `roles`; a second app gets single sign-on without another trip upstream. Also: the
 * login page's "Continue with" button passes axe, and home-realm discovery sends an acme.test
 * address straight to acme with its login_hint.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import axe from 'axe-core';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { type Browser, chromium, type Page } from 'playwright-core';
import { createApi, createWebClient, discover } from '../harness/fixtures.ts';
import { storageMode } from '../harness/mode.ts';
import { startServer, type TestServer } from '../harness/server.ts';
import { startUpstream, type Upstream } from '../harness/upstream/process.ts';

const CHROMIUM = process.env.GATEHOUSE_TEST_CHROMIUM ?? '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM) && `Chromium not found at ${CHROMIUM}: browser tests skipped (apt-get install chromium)`;
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'screenshots', storageMode());

let server: TestServer;
let upstream: Upstream;
let browser: Browser;
let app: Server;
let appUrl: string;
let api: string;
const received: URL[] = [];

before(async () => {
  if (skip) {
    process.stdout.write(`\n!! SKIPPED: ${skip}\n`);
    return;
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await startServer();
  upstream = await startUpstream({
    users: {
      alice: { email: 'alice@acme.test', email_verified: true, name: 'Alice Acme', groups: ['platform-admins', 'everyone'] },
      bob: { email: 'bob@acme.test', email_verified: true, name: 'Bob Acme', groups: ['everyone'] },
    },
    clients: [{ client_id: 'gatehouse', client_secret: 'upstream-client-secret', redirect_uris: [`${server.url}/federation/acme/callback`] }],
  });
  app = createServer((req, res) => {
    const url = new URL(req.url ?? '/', appUrl);
    if (url.pathname.endsWith('/callback')) received.push(url);
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>App</title><h1>Signed in</h1>');
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  api = await createApi(server, ['read'], { claims: ['roles'] });
  await server.gatehouse.services.rbac.createRole({ name: 'platform-admin' });
  await server.gatehouse.services.federation.create({
    name: 'acme',
    displayName: 'Acme',
    issuer: upstream.issuer,
    clientId: 'gatehouse',
    clientSecret: 'upstream-client-secret',
    domains: ['acme.test'],
    jit: true,
    groupRoles: { 'platform-admins': ['platform-admin'] },
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => {
  await browser?.close();
  app?.close();
  await upstream?.stop();
  await server?.close();
});

async function appClient(name: string) {
  const client = await createWebClient(server, { name, redirectUris: [`${appUrl}/${name.toLowerCase()}/callback`], scopes: ['openid', 'email', 'read'], resources: [api] } as never);
  return { client, config: await discover(server, client), redirectUri: `${appUrl}/${name.toLowerCase()}/callback` };
}

async function authorize(page: Page, target: Awaited<ReturnType<typeof appClient>>, extra: Record<string, string> = {}) {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(target.config, {
    redirect_uri: target.redirectUri,
    scope: 'openid email read',
    resource: api,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    ...extra,
  });
  await page.goto(url.href);
  return codeVerifier;
}

async function assertAccessible(page: Page, label: string) {
  await page.evaluate(axe.source);
  const results = (await page.evaluate(() => (globalThis as unknown as { axe: typeof axe; document: unknown }).axe.run((globalThis as unknown as { document: axe.ElementContext }).document, { resultTypes: ['violations'] }))) as axe.AxeResults;
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], `${label}: serious or critical accessibility violations`);
}

async function redeem(target: Awaited<ReturnType<typeof appClient>>, codeVerifier: string) {
  const callback = received.at(-1)!;
  return oidc.authorizationCodeGrant(target.config, callback, { pkceCodeVerifier: codeVerifier, expectedState: oidc.skipStateCheck }, { resource: api });
}

test('sign in at an app through the company provider: JIT account, roles from upstream groups in the access token, SSO to a second app without another upstream trip', { skip }, async () => {
  const notes = await appClient('Notes');
  const wiki = await appClient('Wiki');
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  const upstreamTrips: string[] = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.origin === upstream.issuer && url.pathname === '/auth') upstreamTrips.push(url.href);
  });

  const verifier = await authorize(page, notes);
  const button = page.getByRole('link', { name: 'Continue with Acme' });
  await button.waitFor();
  await assertAccessible(page, 'login page with an upstream provider');
  await page.screenshot({ path: join(ARTIFACTS, 'federation-login.png'), fullPage: true });
  await button.click();
  await page.getByRole('heading', { name: 'Acme sign-in' }).waitFor();
  assert.equal(new URL(page.url()).origin, upstream.issuer, 'at the upstream, its own origin');
  await page.getByLabel('Username').fill('alice');
  await page.getByRole('button', { name: 'Sign in at Acme' }).click();
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.getByRole('heading', { name: 'Signed in' }).waitFor();
  assert.equal(upstreamTrips.length, 1);

  const tokens = await redeem(notes, verifier);
  const access = decodeJwt(tokens.access_token);
  assert.deepEqual(access.roles, ['platform-admin'], 'upstream group platform-admins → role platform-admin');
  assert.ok((access.amr as string[]).includes('fed'));
  const idToken = decodeJwt(tokens.id_token!);
  assert.equal(idToken.idp, 'acme');
  const account = await server.gatehouse.services.accounts.findByEmail('alice@acme.test');
  assert.ok(account, 'the account was created just in time');
  assert.equal(access.sub, account.id);

  // The second app: Gatehouse's session answers; the upstream is not visited again.
  const wikiVerifier = await authorize(page, wiki);
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.getByRole('heading', { name: 'Signed in' }).waitFor();
  assert.equal(upstreamTrips.length, 1, 'single sign-on: no second upstream trip');
  const wikiTokens = await redeem(wiki, wikiVerifier);
  assert.equal(decodeJwt(wikiTokens.access_token).sub, account.id);
  assert.deepEqual(decodeJwt(wikiTokens.access_token).roles, ['platform-admin']);
  await context.close();
});

test('home-realm discovery: typing an acme.test address goes straight to acme, with the address as login_hint', { skip }, async () => {
  const notes = await appClient('Realm');
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  const upstreamRequests: URL[] = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.origin === upstream.issuer && url.pathname === '/auth') upstreamRequests.push(url);
  });
  await authorize(page, notes);
  await page.getByLabel('Email').fill('bob@acme.test');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: 'Acme sign-in' }).waitFor();
  assert.equal(new URL(page.url()).origin, upstream.issuer);
  assert.equal(upstreamRequests[0]?.searchParams.get('login_hint'), 'bob@acme.test');
  assert.equal(upstreamRequests[0]?.searchParams.get('code_challenge_method'), 'S256');
  assert.ok(upstreamRequests[0]?.searchParams.get('nonce') && upstreamRequests[0]?.searchParams.get('state'));
  await context.close();
});
