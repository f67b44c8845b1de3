import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Browser } from '../harness/browser.ts';
import { createWebClient, uniqueEmail } from '../harness/fixtures.ts';
import { authorizeThroughMfa, codeFor, type Seen } from '../harness/mfa-flow.ts';
import { startServer, type TestServer } from '../harness/server.ts';

let server: TestServer;
let client: { clientId: string; clientSecret: string };
before(async () => {
  server = await startServer();
  client = await createWebClient(server);
});
after(() => server.close());

async function createUser(roles: string[] = []) {
  const email = uniqueEmail('mfa');
  const password = 'correct horse battery staple';
  const { accounts, rbac } = server.gatehouse.services;
  const account = await accounts.create({ email, password, emailVerified: true });
  for (const role of roles) {
    if (!(await rbac.findRole(role))) await rbac.createRole({ name: role });
    await rbac.grant(role, { kind: 'user', id: account.id });
  }
  return { ...account, password };
}

/** Drives one authorization through every page it meets; `second` answers the MFA prompt. */
const authorize = (browser: Browser, user: { email: string; password: string }, second: (seen: Seen) => Promise<string>, extra: Record<string, string> = {}) =>
  authorizeThroughMfa(server, client, browser, user, second, { extra });

async function enrolFromAccountPage(user: { email: string; password: string }) {
  const browser = new Browser();
  await authorize(browser, user, async () => assert.fail('no MFA before enrolment'));
  const page = await browser.follow(`${server.url}/account/mfa`, server.url);
  const html = await page.response!.text();
  const secret = /id="totp-secret">([A-Z2-7]+)</.exec(html)![1]!;
  const done = await browser.submitForm({ url: server.url, html }, '/account/mfa', { code: await codeFor(secret) }, server.url);
  const codes = [...(await done.response!.text()).matchAll(/<code>([a-z0-9-]+)<\/code>/g)].map((m) => m[1]!);
  assert.equal(codes.length, 10, 'ten recovery codes, shown once');
  return { secret, codes };
}

test('enrol TOTP from the account page; the next sign-in asks for a code and the ID token says amr otp', async () => {
  const user = await createUser();
  const { secret } = await enrolFromAccountPage(user);
  const result = await authorize(new Browser(), user, () => codeFor(secret, 1));
  assert.equal(result.rejected, false);
  assert.ok(result.seen.login && result.seen.mfa);
  assert.ok(!result.rejected && (result.idToken.amr as string[]).includes('otp'));
  assert.ok(!result.rejected && result.idToken.acr === 'urn:gatehouse:loa:2');
});

test('a valid code is accepted once: again, sequentially or in parallel, it fails', async () => {
  const user = await createUser();
  const { secret } = await enrolFromAccountPage(user);
  const code = await codeFor(secret, 1);
  assert.equal((await authorize(new Browser(), user, async () => code)).rejected, false);
  assert.equal((await authorize(new Browser(), user, async () => code)).rejected, true, 'the same code a second time');
  const older = await codeFor(secret, 0);
  assert.equal((await server.gatehouse.services.mfa.verify(user.id, older)).ok, false, 'a step older than the last accepted one is refused');
  const user2 = await createUser();
  const enrolled2 = await enrolFromAccountPage(user2);
  const code2 = await codeFor(enrolled2.secret, 1);
  const race = await Promise.all(Array.from({ length: 10 }, () => server.gatehouse.services.mfa.verify(user2.id, code2)));
  assert.equal(race.filter((r) => r.ok).length, 1, 'ten parallel submissions of one code: exactly one passes');
});

test('an admin without MFA must enrol before the authorization completes', async () => {
  const admin = await createUser(['admin']);
  const result = await authorize(new Browser(), admin, async () => assert.fail('not yet enrolled'));
  assert.equal(result.rejected, false);
  assert.ok(result.seen.enrol, 'walked through enrolment');
  assert.equal(result.seen.recoveryCodes.length, 10);
  assert.ok(!result.rejected && (result.idToken.amr as string[]).includes('otp'));
  assert.equal(await server.gatehouse.services.mfa.enrolled(admin.id), true);
});

test('a client asking for acr urn:gatehouse:loa:2 gets a second factor even within an existing session', async () => {
  const user = await createUser();
  await enrolFromAccountPage(user);
  await server.gatehouse.services.mfa.remove(user.id); // back to password-only
  const browser = new Browser();
  await authorize(browser, user, async () => assert.fail('password-only user'));
  const reEnrolled = await authorize(browser, user, async () => assert.fail('enrolment comes first'), { acr_values: 'urn:gatehouse:loa:2' });
  assert.ok(reEnrolled.seen.login, 'the existing password session was not enough');
  assert.ok(reEnrolled.seen.enrol, 'a user without a second factor sets one up');
  assert.ok(!reEnrolled.rejected && reEnrolled.idToken.acr === 'urn:gatehouse:loa:2');
});

test('a recovery code works once, then never again', async () => {
  const user = await createUser();
  const { codes } = await enrolFromAccountPage(user);
  const recovery = codes[3]!;
  assert.equal((await authorize(new Browser(), user, async () => recovery)).rejected, false);
  assert.equal((await authorize(new Browser(), user, async () => recovery)).rejected, true);
  assert.equal(await server.gatehouse.services.mfa.unusedRecoveryCodes(user.id), 9);
});

test('the TOTP secret is not stored in plaintext', async () => {
  const user = await createUser();
  const { secret, codes } = await enrolFromAccountPage(user);
  const db = server.gatehouse.storage.db;
  const dump = JSON.stringify([await db('mfa_totp').select('*'), await db('mfa_recovery_codes').select('*')]);
  assert.ok(dump.includes(user.id));
  assert.ok(!dump.includes(secret));
  for (const code of codes) assert.ok(!dump.includes(code));
});
