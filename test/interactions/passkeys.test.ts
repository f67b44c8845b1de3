/**
 * Passkeys over HTTP, against a software authenticator (test/harness/soft-authenticator.ts): the
 * attacks of #18 acceptance 2 — wrong origin, wrong RP ID, a replayed assertion, a challenge of
 * another interaction, a counter going backwards, no user verification — each refused and
 * audited; and acceptance 3: a role that requires loa:3 is not satisfied by TOTP, and says why.
 * One server for the file.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodeJwt } from 'jose';
import { Browser } from '../harness/browser.ts';
import { createWebClient, REDIRECT_URI, tokenRequest, uniqueEmail } from '../harness/fixtures.ts';
import { codeFor } from '../harness/mfa-flow.ts';
import { type PasskeyFlow, passkeyFlow } from '../harness/passkey-flow.ts';
import { startServer, type TestServer } from '../harness/server.ts';
import { SoftAuthenticator } from '../harness/soft-authenticator.ts';

const STRONG_ROLE = 'passkey-staff';
let server: TestServer;
let client: { clientId: string; clientSecret: string };
let rpId: string;
let enrol: PasskeyFlow['enrol'];
let startSignIn: PasskeyFlow['startSignIn'];
let password: PasskeyFlow['password'];
let challengeFor: PasskeyFlow['challengeFor'];
let submit: PasskeyFlow['submit'];
let post: PasskeyFlow['post'];
before(async () => {
  server = await startServer({ env: { GATEHOUSE_PASSKEY_REQUIRED_ROLES: STRONG_ROLE } });
  client = await createWebClient(server);
  ({ rpId, enrol, startSignIn, password, challengeFor, submit, post } = passkeyFlow(server, client));
});
after(() => server.close());

const PASSWORD = 'correct horse battery staple';

async function createUser(roles: string[] = []) {
  const { accounts, rbac } = server.gatehouse.services;
  const account = await accounts.create({ email: uniqueEmail('passkey'), password: PASSWORD, emailVerified: true });
  for (const role of roles) {
    if (!(await rbac.findRole(role))) await rbac.createRole({ name: role });
    await rbac.grant(role, { kind: 'user', id: account.id });
  }
  return { ...account, password: PASSWORD };
}

async function idTokenOf(callback: URL, verifier: string) {
  const tokens = await tokenRequest(
    server,
    { grant_type: 'authorization_code', code: callback.searchParams.get('code')!, code_verifier: verifier, redirect_uri: REDIRECT_URI },
    { id: client.clientId, secret: client.clientSecret },
  );
  return decodeJwt(String(tokens.body.id_token));
}

async function auditOf(subject: string, type: string) {
  await server.gatehouse.services.audit.flush();
  return (await server.gatehouse.services.audit.query({ subject, type, limit: 100 })).map((event) => event.details as Record<string, unknown>);
}

/** A user with a passkey, at the second-factor step of a fresh sign-in (password given). */
async function atSecondFactor(roles: string[] = []) {
  const user = await createUser(roles);
  const { authenticator } = await enrol(user);
  const browser = new Browser();
  const signIn = await startSignIn(browser);
  const page = await password(browser, signIn, user);
  assert.match(page.html, /data-passkey="authenticate"/, 'the second-factor page offers the passkey');
  return { user, authenticator, browser, ...signIn };
}

test('password + passkey: the ID token says amr pwd, hwk, user and acr loa:3; the passkey comes before any code', async () => {
  const { authenticator, browser, uid, csrf, verifier } = await atSecondFactor();
  const options = await challengeFor(browser, uid, csrf);
  assert.deepEqual(
    options.allowCredentials?.map((c) => c.id),
    [authenticator.id],
    "the second factor asks for this user's passkeys only",
  );
  const outcome = await submit(browser, uid, csrf, authenticator.assert({ challenge: options.challenge, origin: server.url, rpId }));
  assert.ok(outcome.callback, `signed in (${outcome.status})`);
  const idToken = await idTokenOf(outcome.callback, verifier);
  assert.deepEqual(idToken.amr, ['pwd', 'hwk', 'user']);
  assert.equal(idToken.acr, 'urn:gatehouse:loa:3');
});

test('passwordless: a discoverable passkey alone signs in at loa:3', async () => {
  const user = await createUser();
  const { authenticator } = await enrol(user);
  const browser = new Browser();
  const { uid, csrf, verifier, html } = await startSignIn(browser);
  assert.match(html, /autocomplete="username webauthn"/, 'the email field offers passkeys in autofill (conditional mediation)');
  const options = await challengeFor(browser, uid, csrf);
  assert.deepEqual(options.allowCredentials ?? [], [], 'passwordless: any discoverable passkey');
  const outcome = await submit(browser, uid, csrf, authenticator.assert({ challenge: options.challenge, origin: server.url, rpId }));
  assert.ok(outcome.callback, `signed in (${outcome.status})`);
  const idToken = await idTokenOf(outcome.callback, verifier);
  assert.equal(idToken.sub, user.id);
  assert.deepEqual(idToken.amr, ['hwk', 'user', 'mfa']);
  assert.equal(idToken.acr, 'urn:gatehouse:loa:3');
});

test('an assertion for another origin (a phishing proxy) is refused and audited', async () => {
  const { user, authenticator, browser, uid, csrf } = await atSecondFactor();
  const { challenge } = await challengeFor(browser, uid, csrf);
  const outcome = await submit(browser, uid, csrf, authenticator.assert({ challenge, origin: 'https://gatehouse.example-login.net', rpId }));
  assert.equal(outcome.status, 401);
  assert.match(outcome.html!, /could not be verified/);
  assert.ok((await auditOf(user.id, 'mfa.failed')).some((d) => d.method === 'passkey' && d.reason === 'origin'));
});

test('an assertion for another RP ID is refused and audited', async () => {
  const { user, authenticator, browser, uid, csrf } = await atSecondFactor();
  const { challenge } = await challengeFor(browser, uid, csrf);
  const outcome = await submit(browser, uid, csrf, authenticator.assert({ challenge, origin: server.url, rpId: 'evil.example' }));
  assert.equal(outcome.status, 401);
  assert.ok((await auditOf(user.id, 'mfa.failed')).some((d) => d.reason === 'rp_id'));
});

test('a replayed assertion (same challenge) is refused and audited, in this interaction and the next', async () => {
  const { user, authenticator, browser, uid, csrf } = await atSecondFactor();
  const { challenge } = await challengeFor(browser, uid, csrf);
  const good = authenticator.assert({ challenge, origin: server.url, rpId });
  const wrongFirst = await submit(browser, uid, csrf, authenticator.assert({ challenge, origin: 'https://other.example', rpId }));
  assert.equal(wrongFirst.status, 401);
  const replay = await submit(browser, uid, csrf, good);
  assert.equal(replay.status, 401, 'the challenge was spent by the first answer, whatever it was');
  assert.ok((await auditOf(user.id, 'mfa.failed')).some((d) => d.reason === 'challenge'));
  // A fresh challenge in the same interaction: the old assertion still does not fit it.
  await challengeFor(browser, uid, csrf);
  assert.equal((await submit(browser, uid, csrf, good)).status, 401);
});

test('an assertion made for the challenge of another interaction is refused and audited', async () => {
  const { user, authenticator, browser, uid, csrf } = await atSecondFactor();
  // The attacker's own interaction (its own browser) hands out a challenge…
  const attacker = new Browser();
  const theirs = await startSignIn(attacker);
  const { challenge: foreign } = await challengeFor(attacker, theirs.uid, theirs.csrf);
  // …the victim's interaction has its own; an assertion over the attacker's challenge does not fit it.
  await challengeFor(browser, uid, csrf);
  const outcome = await submit(browser, uid, csrf, authenticator.assert({ challenge: foreign, origin: server.url, rpId }));
  assert.equal(outcome.status, 401);
  assert.ok((await auditOf(user.id, 'mfa.failed')).some((d) => d.reason === 'challenge'));
});

test('a signature counter going backwards (a cloned authenticator) is refused and audited', async () => {
  const { user, authenticator, browser, uid, csrf } = await atSecondFactor();
  const first = await challengeFor(browser, uid, csrf);
  const ok = await submit(browser, uid, csrf, authenticator.assert({ challenge: first.challenge, origin: server.url, rpId, counter: 10 }));
  assert.ok(ok.callback, 'counter 10 is accepted');
  const again = new Browser();
  const signIn = await startSignIn(again);
  await password(again, signIn, user);
  const second = await challengeFor(again, signIn.uid, signIn.csrf);
  const clone = await submit(again, signIn.uid, signIn.csrf, authenticator.assert({ challenge: second.challenge, origin: server.url, rpId, counter: 5 }));
  assert.equal(clone.status, 401);
  assert.ok((await auditOf(user.id, 'mfa.failed')).some((d) => d.reason === 'counter_regressed'));
  assert.ok((await auditOf(user.id, 'passkey.counter_regressed')).some((d) => d.decision === 'refused'));
});

test('an assertion without user verification is refused and audited', async () => {
  const { user, authenticator, browser, uid, csrf } = await atSecondFactor();
  const { challenge } = await challengeFor(browser, uid, csrf);
  const outcome = await submit(browser, uid, csrf, authenticator.assert({ challenge, origin: server.url, rpId, userVerified: false }));
  assert.equal(outcome.status, 401);
  assert.ok((await auditOf(user.id, 'mfa.failed')).some((d) => d.reason === 'user_verification'));
});

test('a passkey of another user is not this user\u2019s second factor', async () => {
  const { user, browser, uid, csrf } = await atSecondFactor();
  const other = await enrol(await createUser());
  const { challenge } = await challengeFor(browser, uid, csrf);
  const outcome = await submit(browser, uid, csrf, other.authenticator.assert({ challenge, origin: server.url, rpId }));
  assert.equal(outcome.status, 401);
  assert.ok((await auditOf(user.id, 'mfa.failed')).some((d) => d.reason === 'wrong_user'));
});

async function enrolTotp(userId: string, email: string) {
  const { mfa } = server.gatehouse.services;
  const enrolment = await mfa.beginEnrolment(userId, email, (await mfa.factor(userId)).epoch);
  const confirmed = await mfa.confirmEnrolment(userId, enrolment.id, await codeFor(enrolment.secret));
  assert.equal(confirmed.kind, 'confirmed');
  return enrolment.secret;
}

test('a role that requires loa:3 is not satisfied by TOTP: without a passkey the page says why', async () => {
  const user = await createUser([STRONG_ROLE]);
  await enrolTotp(user.id, user.email);
  const browser = new Browser();
  const signIn = await startSignIn(browser);
  const page = await password(browser, signIn, user);
  assert.equal(page.status, 403);
  assert.match(page.html, /Your role requires a passkey/);
  assert.match(page.html, /not accepted/);
  assert.doesNotMatch(page.html, /name="code"/, 'no code prompt is offered');
  assert.ok((await auditOf(user.id, 'signin.passkey_required')).some((d) => d.reason === 'role'));
});

test('a role that requires loa:3, with TOTP and a passkey: a valid TOTP code is refused (and why); the passkey signs in at loa:3', async () => {
  const user = await createUser([STRONG_ROLE]);
  const secret = await enrolTotp(user.id, user.email);
  // The account pages accept password + TOTP: that is where the holder adds the passkey the role needs.
  const { authenticator } = await enrol(user, new SoftAuthenticator(), secret);
  const browser = new Browser();
  const signIn = await startSignIn(browser);
  const page = await password(browser, signIn, user);
  assert.match(page.html, /Your role requires a passkey/);
  assert.doesNotMatch(page.html, /name="code"/);
  const code = await post(browser, `/interaction/${signIn.uid}/mfa`, { csrf: signIn.csrf, code: await codeFor(secret, 2) });
  assert.equal(code.status, 403, 'a correct TOTP code posted anyway is refused');
  assert.match(await code.text(), /Your role requires a passkey/);
  assert.ok((await auditOf(user.id, 'mfa.failed')).some((d) => d.reason === 'passkey_required'));
  const { challenge } = await challengeFor(browser, signIn.uid, signIn.csrf);
  const outcome = await submit(browser, signIn.uid, signIn.csrf, authenticator.assert({ challenge, origin: server.url, rpId }));
  assert.ok(outcome.callback);
  assert.equal((await idTokenOf(outcome.callback, signIn.verifier)).acr, 'urn:gatehouse:loa:3');
});

test('acr_values=loa:3 from a client: the same rule, by request', async () => {
  const user = await createUser();
  await enrolTotp(user.id, user.email);
  const browser = new Browser();
  const signIn = await startSignIn(browser, { acr_values: 'urn:gatehouse:loa:3' });
  const page = await password(browser, signIn, user);
  assert.equal(page.status, 403);
  assert.match(page.html, /phishing-resistant/);
});

test('a client that requires a passkey: TOTP alone is refused there (and why) but still works at another client; a passkey signs in at loa:3', async () => {
  const strict = await createWebClient(server, { name: 'Payroll', requirePasskey: true });
  const admin = (await server.gatehouse.services.clients.find(strict.clientId))!;
  assert.equal(admin.requirePasskey, true, 'the setting is part of the client record');
  const user = await createUser();
  const secret = await enrolTotp(user.id, user.email);

  const atStrict = new Browser();
  const page = await password(atStrict, await startSignIn(atStrict, {}, strict.clientId), user);
  assert.equal(page.status, 403);
  assert.match(page.html, /This application requires a passkey/);
  assert.doesNotMatch(page.html, /name="code"/, 'no code prompt is offered');
  assert.ok((await auditOf(user.id, 'signin.passkey_required')).some((d) => d.reason === 'client'));

  const elsewhere = new Browser();
  const normal = await password(elsewhere, await startSignIn(elsewhere), user);
  assert.match(normal.html, /name="code"/, 'another client still takes the TOTP code');

  const { authenticator } = await enrol(user, new SoftAuthenticator(), secret);
  const browser = new Browser();
  const signIn = await startSignIn(browser, {}, strict.clientId);
  const second = await password(browser, signIn, user);
  assert.doesNotMatch(second.html, /name="code"/);
  const { challenge } = await challengeFor(browser, signIn.uid, signIn.csrf);
  const outcome = await submit(browser, signIn.uid, signIn.csrf, authenticator.assert({ challenge, origin: server.url, rpId }));
  assert.ok(outcome.callback, JSON.stringify(outcome));
  const tokens = await tokenRequest(
    server,
    { grant_type: 'authorization_code', code: outcome.callback.searchParams.get('code')!, code_verifier: signIn.verifier, redirect_uri: REDIRECT_URI },
    { id: strict.clientId, secret: strict.clientSecret },
  );
  assert.equal(decodeJwt(String(tokens.body.id_token)).acr, 'urn:gatehouse:loa:3');
});

test('malformed passkey answers are a 400, never a 500', async () => {
  const browser = new Browser();
  const { uid, csrf } = await startSignIn(browser);
  for (const response of ['not json', '{}', JSON.stringify({ id: 'x', rawId: 'x', type: 'public-key', response: { clientDataJSON: '!!' } })]) {
    const answer = await post(browser, `/interaction/${uid}/passkey`, { csrf, response });
    assert.equal(answer.status, 400, response);
  }
});
