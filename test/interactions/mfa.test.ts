import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as oidc from 'openid-client';
import { Browser } from '../harness/browser.ts';
import { authorizationRequestUrl, createWebClient, uniqueEmail } from '../harness/fixtures.ts';
import { authorizeThroughMfa, codeFor, type Seen } from '../harness/mfa-flow.ts';
import { outboxMails } from '../harness/outbox.ts';
import { startServer, type TestServer } from '../harness/server.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-mfa-'));
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

async function enrolFromAccountPage(user: { email: string; password: string }, browser = new Browser()) {
  await authorize(browser, user, async () => assert.fail('no MFA before enrolment'));
  const page = await browser.follow(`${server.url}/account/mfa`, server.url);
  const html = await page.response!.text();
  const secret = /id="totp-secret"[^>]*>([A-Z2-7 ]+)</.exec(html)![1]!.replaceAll(' ', '');
  const enrolment = /name="enrolment" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const done = await browser.submitForm({ url: server.url, html }, '/account/mfa', { code: await codeFor(secret) }, server.url);
  const codes = [...(await done.response!.text()).matchAll(/<code>([a-z0-9-]+)<\/code>/g)].map((m) => m[1]!);
  assert.equal(codes.length, 10, 'ten recovery codes, shown once');
  return { secret, codes, browser, enrolment };
}

const csrfOf = async (browser: Browser) => /name="csrf" value="([^"]+)"/.exec(await (await browser.request(`${server.url}/account`)).text())![1]!;
const postForm = (browser: Browser, path: string, fields: Record<string, string>) =>
  browser.request(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields) });
const mailSubjects = async (email: string) => (await outboxMails(server, dataDir, email)).map((mail) => mail.subject);

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

test('GH-01: a wrong code posted to /account/mfa by whoever holds the session never turns MFA off', async () => {
  const user = await createUser();
  const { secret, browser, enrolment } = await enrolFromAccountPage(user);
  const csrf = await csrfOf(browser);
  const bare = await postForm(browser, '/account/mfa', { csrf, code: '000000' });
  assert.notEqual(bare.status, 200);
  const replayed = await postForm(browser, '/account/mfa', { csrf, code: '000000', enrolment });
  assert.notEqual(replayed.status, 200, 'the used enrolment form, resubmitted (back button)');
  assert.equal(await server.gatehouse.services.mfa.enrolled(user.id), true, 'MFA is still on');
  const setup = await (await browser.request(`${server.url}/account/mfa`)).text();
  assert.doesNotMatch(setup, /totp-secret/, 'no new authenticator can be set up over the confirmed one');
  const signIn = await authorize(new Browser(), user, () => codeFor(secret, 1));
  assert.ok(signIn.seen.mfa && !signIn.rejected, 'the next sign-in still asks for the second factor, and the owner’s code works');
});

test('GH-02: a sign-in parked at enrolment before the owner enrols can neither get a new secret nor confirm the one it saw', async () => {
  const victim = await createUser();
  const attacker = new Browser('attacker');
  const url = await authorizationRequestUrl(server.url, client.clientId, oidc.randomPKCECodeVerifier(), { scope: 'openid', prompt: undefined, acr_values: 'urn:gatehouse:loa:2' });
  const login = await attacker.follow(url, server.url);
  const parked = await attacker.submitForm({ url: server.url, html: await login.response!.text() }, /\/login$/, { email: victim.email, password: victim.password }, server.url);
  const parkedHtml = await parked.response!.text();
  const attackerSecret = /id="totp-secret"[^>]*>([A-Z2-7 ]+)</.exec(parkedHtml)?.[1]?.replaceAll(" ", "");
  assert.ok(attackerSecret, 'the attacker, with the password only, is parked at enrolment');
  const uid = /\/interaction\/([^/"]+)\/mfa\/enrol/.exec(parkedHtml)![1]!;

  const { secret: victimSecret } = await enrolFromAccountPage(victim);

  const reload = await attacker.request(`${server.url}/interaction/${uid}/mfa`);
  const reloaded = await reload.text();
  assert.equal(reload.status, 400, 'the parked sign-in must start again');
  assert.doesNotMatch(reloaded, /totp-secret/, 'no secret is shown');
  assert.match(reloaded, /start the sign-in again/);
  const confirm = await attacker.submitForm({ url: server.url, html: parkedHtml }, /\/mfa\/enrol$/, { code: await codeFor(attackerSecret) }, server.url);
  assert.equal(confirm.response?.status, 400, 'the secret it saw cannot be confirmed');

  const owner = await authorize(new Browser(), victim, () => codeFor(victimSecret, 1));
  assert.ok(owner.seen.mfa && !owner.rejected, 'the owner’s authenticator still works');
  await server.gatehouse.services.audit.flush();
  const stale = (await server.gatehouse.services.audit.query({ limit: 500 })).filter((e) => e.type === 'signin.stale_factor' && e.subject === victim.id);
  assert.ok(stale.length >= 1, 'the attempt is audited');
});

test('a confirmed factor is replaced only with a current code or a recovery code: the old one stops working, the owner is mailed', async () => {
  const user = await createUser();
  const { secret, browser, codes } = await enrolFromAccountPage(user);
  const csrf = await csrfOf(browser);
  const wrong = await postForm(browser, '/account/mfa/replace', { csrf, code: '000000' });
  assert.equal(wrong.status, 401);
  assert.match(await wrong.text(), /not correct/);
  const replacing = await postForm(browser, '/account/mfa/replace', { csrf, code: codes[0]! });
  const html = await replacing.text();
  assert.equal(replacing.status, 200, 'a recovery code proves the factor too');
  const next = /id="totp-secret"[^>]*>([A-Z2-7 ]+)</.exec(html)![1]!.replaceAll(' ', '');
  assert.notEqual(next, secret);
  assert.equal((await authorize(new Browser(), user, () => codeFor(secret, 1))).rejected, false, 'until confirmed, the old authenticator still works');
  const confirmed = await browser.submitForm({ url: server.url, html }, '/account/mfa', { code: await codeFor(next) }, server.url);
  assert.equal(confirmed.response?.status, 200);
  assert.match(await confirmed.response!.text(), /id="recovery-codes"/, 'new recovery codes');
  assert.equal((await authorize(new Browser(), user, async () => codes[1]!)).rejected, true, 'the old recovery codes are void');
  assert.equal((await authorize(new Browser(), user, () => codeFor(next, 1))).rejected, false, 'the new authenticator works');
  assert.ok((await mailSubjects(user.email)).includes('Your authenticator was replaced'));
  await server.gatehouse.services.audit.flush();
  const types = (await server.gatehouse.services.audit.query({ limit: 500 })).filter((e) => e.subject === user.id).map((e) => e.type);
  assert.ok(types.includes('mfa.replace_failed') && types.includes('mfa.replaced'));
});

test('GH-09: every enrolment, replacement and removal is mailed to the owner, by the user or by an admin', async () => {
  const user = await createUser();
  const { secret, browser } = await enrolFromAccountPage(user);
  assert.deepEqual(await mailSubjects(user.email), ['Two-factor authentication was turned on']);
  const off = await postForm(browser, '/account/mfa/disable', { csrf: await csrfOf(browser), password: user.password, code: await codeFor(secret, 1) });
  assert.equal(off.status, 200);
  assert.equal(await server.gatehouse.services.mfa.enrolled(user.id), false);
  assert.equal((await mailSubjects(user.email)).at(-1), 'Two-factor authentication was turned off');

  const admin = await createUser(['admin']);
  const result = await authorize(new Browser(), admin, async () => assert.fail('not yet enrolled'));
  assert.ok(result.seen.enrol && !result.rejected);
  assert.deepEqual(await mailSubjects(admin.email), ['Two-factor authentication was turned on'], 'an enrolment during a sign-in too');
  await server.gatehouse.services.mfa.remove(admin.id); // what `users mfa reset` and the admin API call
  assert.equal((await mailSubjects(admin.email)).at(-1), 'Two-factor authentication was turned off');
});

test('two enrolments begun from the same state race: exactly one becomes the factor, the other is stale', async () => {
  const user = await createUser();
  const { mfa } = server.gatehouse.services;
  const { epoch } = await mfa.factor(user.id);
  const [first, second] = await Promise.all([mfa.beginEnrolment(user.id, user.email, epoch), mfa.beginEnrolment(user.id, user.email, epoch)]);
  const outcomes = await Promise.all([
    mfa.confirmEnrolment(user.id, first.id, await codeFor(first.secret)),
    mfa.confirmEnrolment(user.id, second.id, await codeFor(second.secret)),
  ]);
  assert.deepEqual(outcomes.map((o) => o.kind).sort(), ['confirmed', 'stale']);
  const winner = outcomes[0]!.kind === 'confirmed' ? first : second;
  assert.equal((await mfa.verify(user.id, await codeFor(winner.secret, 1))).ok, true, 'the winner’s secret is the factor');
  assert.equal((await mfa.confirmEnrolment(user.id, first.id, await codeFor(first.secret))).kind, 'stale', 'nothing is left to confirm');
});
