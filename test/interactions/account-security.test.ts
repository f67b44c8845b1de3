/**
 * Attacks on the account pages with a session in hand: an idle session must not be usable
 * (GH-03), and the current password cannot be guessed there faster than at the sign-in (GH-05).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as oidc from 'openid-client';
import { generate } from 'otplib/functional';
import { Browser } from '../harness/browser.ts';
import { createTestClock } from '../harness/clock.ts';
import { authorizationRequestUrl, createUser, createWebClient, signInThroughPages } from '../harness/fixtures.ts';
import { startServer, type TestServer } from '../harness/server.ts';

const IDLE = 60;
const clock = createTestClock();
let server: TestServer;
before(async () => {
  server = await startServer({ clock, env: { GATEHOUSE_SESSION_IDLE_TIMEOUT: String(IDLE), GATEHOUSE_TRUST_PROXY: 'true' } });
});
after(() => server.close());

/** A user signed in to an app in a browser at `ip` (which then opens /account through SSO). */
async function signedInUser(ip: string) {
  const user = await createUser(server);
  const client = await createWebClient(server);
  const browser = new Browser('test-browser', { 'x-forwarded-for': ip });
  await signInThroughPages(server, await authorizationRequestUrl(server.url, client.clientId, oidc.randomPKCECodeVerifier()), user, browser);
  return { user, browser };
}

async function accountPage(browser: Browser) {
  const response = await browser.request(`${server.url}/account`);
  return { status: response.status, location: response.headers.get('location'), html: await response.text() };
}

const post = (browser: Browser, path: string, fields: Record<string, string>, fromIp?: string) =>
  browser.request(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(fromIp ? { 'x-forwarded-for': fromIp } : {}) },
    body: new URLSearchParams(fields),
  });

/**
 * Guesses come from a new address each time (a stolen session cookie used through rotating
 * proxies): no per-IP limit is ever reached, so what stops them is the account-wide count, which
 * runs on the test clock. (From one address the (account, IP) backoff answers first, but its
 * blocks last 1, 2, 4 … real seconds, so whether one has lapsed depends on the machine's speed.)
 */
const rotatingIp = (range: number, i: number) => `203.0.113.${range * 40 + i}`;

test('an idle session cannot use the account pages: it is sent to sign in again, and its forms are refused', async () => {
  const { browser } = await signedInUser('198.51.100.30');
  const first = await accountPage(browser);
  assert.equal(first.status, 200);
  const csrf = /name="csrf" value="([^"]+)"/.exec(first.html)![1]!;
  clock.advance(IDLE - 20);
  assert.equal((await accountPage(browser)).status, 200, 'within the idle timeout');
  clock.advance(IDLE - 20);
  assert.equal((await accountPage(browser)).status, 200, 'each use counts as activity');

  clock.advance(IDLE + 20);
  const idle = await accountPage(browser);
  assert.equal(idle.status, 303, 'idle: no account page');
  assert.equal(new URL(idle.location!).pathname, '/auth', 'sent to sign in again');
  const everywhere = await post(browser, '/account/logout-everywhere', { csrf });
  assert.equal(everywhere.status, 401, 'an idle session cannot act either');
  const password = await post(browser, '/account/password', { csrf, current_password: 'x', new_password: 'a brand new passphrase' });
  assert.equal(password.status, 401);
});

test('guessing the current password on the account page runs into the sign-in limits and is audited', async () => {
  const { user, browser } = await signedInUser('198.51.100.31');
  const csrf = /name="csrf" value="([^"]+)"/.exec((await accountPage(browser)).html)![1]!;
  const statuses: number[] = [];
  for (let i = 0; i < 30; i += 1) {
    const response = await post(browser, '/account/password', { csrf, current_password: `guess-${i}`, new_password: 'a brand new passphrase' }, rotatingIp(0, i));
    statuses.push(response.status);
    if (response.status === 429) assert.ok(Number(response.headers.get('retry-after')) >= 1);
  }
  assert.ok(statuses.includes(429), `the guesses were throttled: ${statuses}`);
  assert.ok(
    statuses.slice(statuses.indexOf(429)).every((status) => status === 429),
    `once throttled, no further guess is checked: ${statuses}`,
  );
  const blocked = await post(browser, '/account/password', { csrf, current_password: user.password, new_password: 'a brand new passphrase' }, rotatingIp(0, 35));
  assert.equal(blocked.status, 429, 'while throttled even the right password is not checked');
  await server.gatehouse.services.accounts.authenticate(user.email, user.password); // unchanged
  await server.gatehouse.services.audit.flush();
  const failures = (await server.gatehouse.services.audit.query({ limit: 500 })).filter((e) => e.type === 'password.change_failed' && e.subject === user.id);
  assert.ok(failures.length >= 10, `each wrong guess is audited (${failures.length})`);
});

test('guessing the password to turn MFA off runs into the same limits and is audited', async () => {
  const { user, browser } = await signedInUser('198.51.100.32');
  const setup = await browser.follow(`${server.url}/account/mfa`, server.url);
  const html = await setup.response!.text();
  const secret = /id="totp-secret"[^>]*>([A-Z2-7 ]+)</.exec(html)![1]!.replaceAll(' ', '');
  const enrolled = await browser.submitForm({ url: server.url, html }, '/account/mfa', { code: await generate({ secret, epoch: Math.floor(clock.now().getTime() / 1000) }) }, server.url);
  assert.equal(enrolled.response?.status, 200);
  const csrf = /name="csrf" value="([^"]+)"/.exec((await accountPage(browser)).html)![1]!;
  const statuses: number[] = [];
  for (let i = 0; i < 30; i += 1) statuses.push((await post(browser, '/account/mfa/disable', { csrf, password: `guess-${i}`, code: '123456' }, rotatingIp(1, i))).status);
  assert.ok(statuses.includes(429), `the guesses were throttled: ${statuses}`);
  assert.ok(
    statuses.slice(statuses.indexOf(429)).every((status) => status === 429),
    `once throttled, no further guess is checked: ${statuses}`,
  );
  assert.equal(await server.gatehouse.services.mfa.enrolled(user.id), true, 'MFA is still on');
  await server.gatehouse.services.audit.flush();
  const failures = (await server.gatehouse.services.audit.query({ limit: 500 })).filter((e) => e.type === 'mfa.disable_failed' && e.subject === user.id);
  assert.ok(failures.length >= 10, `each wrong guess is audited (${failures.length})`);
});
