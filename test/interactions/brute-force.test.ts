/**
 * Sign-in brute force, attacked over HTTP: nobody can keep the owner out (GH-04), yet guessing
 * stays slow. Time is the test clock (the account-wide dimension and the slow-downs run on it):
 * a simulated day passes without sleeping.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Browser } from '../harness/browser.ts';
import { createTestClock } from '../harness/clock.ts';
import { createUser, createWebClient, uniqueEmail } from '../harness/fixtures.ts';
import { openSignIn, openSignInPage } from '../harness/login-attempts.ts';
import { outboxMails } from '../harness/outbox.ts';
import { startServer, type TestServer } from '../harness/server.ts';

/** The default ceiling: the bound on how long a fresh browser of the owner can be slowed. */
const CEILING = 900;
const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-bf-'));
const clock = createTestClock();
let server: TestServer;
let clientId: string;
before(async () => {
  server = await startServer({ clock, env: { GATEHOUSE_TRUST_PROXY: 'true', GATEHOUSE_BACKOFF_CEILING_SECONDS: String(CEILING), GATEHOUSE_DATA_DIR: dataDir } });
  ({ clientId } = await createWebClient(server));
});
after(async () => {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const browserAt = (ip: string) => new Browser('test-browser', { 'x-forwarded-for': ip });
const signedIn = (result: { status: number; location: string | null }) => result.status === 303 && /\/auth\//.test(result.location ?? '');

test('an attacker sending wrong passwords from many IPs for a simulated day never keeps the owner out: a known browser always gets in, a fresh one within the ceiling', async () => {
  const owner = await createUser(server);
  const laptop = browserAt('198.51.100.7');
  assert.ok(signedIn(await (await openSignIn(server, laptop, clientId))(owner.email, owner.password)), 'the owner signs in once: the laptop becomes a known device');

  // The attacker parks a sign-in each period and, a period later, spends its waited-out slow-down on a guess.
  let parked: Array<(email: string, password: string) => ReturnType<Awaited<ReturnType<typeof openSignIn>>>> = [];
  const attacker = { guesses: 0, slowed: 0, refused: 0 };
  const fresh = { slowed: 0, longestWait: 0 };
  for (let period = 0; period < 96; period += 1) {
    const ip = `203.0.113.${(period % 96) + 1}`;
    for (const attempt of parked) {
      const result = await attempt(owner.email, `wrong-password-${period}`);
      if (result.status === 401) attacker.guesses += 1;
    }
    const attempt = await openSignIn(server, browserAt(ip), clientId);
    const result = await attempt(owner.email, `wrong-password-${period}-new`);
    if (result.status === 401) attacker.guesses += 1;
    else if (result.status === 429 && /slowed down/.test(result.body)) attacker.slowed += 1;
    else attacker.refused += 1;
    parked = [attempt];

    // The owner comes by twice every 12 periods (each time after ~20 fresh failures), from the
    // known laptop and from a browser never used before.
    if (period % 12 === 11) {
      const known = await (await openSignIn(server, laptop, clientId))(owner.email, owner.password);
      assert.ok(signedIn(known), `period ${period}: the known laptop gets in at once (got ${known.status})`);
    }
    if (period % 12 === 5 && period > 12) {
      const phone = await openSignIn(server, browserAt(`198.51.100.${100 + period}`), clientId);
      let answer = await phone(owner.email, owner.password);
      if (answer.status === 429) {
        assert.match(answer.body, /slowed down/, 'slowed, not refused');
        assert.ok(answer.retryAfter >= 1 && answer.retryAfter <= CEILING, `the wait (${answer.retryAfter} s) is within the ceiling`);
        fresh.slowed += 1;
        fresh.longestWait = Math.max(fresh.longestWait, answer.retryAfter);
        clock.advance(answer.retryAfter);
        answer = await phone(owner.email, owner.password);
      }
      assert.ok(signedIn(answer), `period ${period}: a fresh browser of the owner gets in after its wait (got ${answer.status})`);
    }
    clock.advance(CEILING);
  }
  assert.ok(attacker.guesses >= 90, `the attacker kept guessing (${attacker.guesses} wrong passwords checked)`);
  assert.ok(attacker.slowed >= 80, `…but every new sign-in of theirs was slowed (${attacker.slowed})`);
  assert.ok(fresh.slowed >= 6, `fresh browsers were slowed during the attack (${fresh.slowed} of 7)`);
  assert.ok(fresh.longestWait <= CEILING);

  await server.gatehouse.services.audit.flush();
  const events = await server.gatehouse.services.audit.query({ limit: 1000 });
  const types = new Set(events.filter((e) => e.subject === owner.email || e.subject === owner.id).map((e) => e.type));
  for (const type of ['signin.failure', 'signin.backoff', 'signin.slowed', 'signin.success']) assert.ok(types.has(type), `audit has ${type}`);
  assert.ok(!JSON.stringify(events).includes('wrong-password-'), 'no password in the audit trail');
  const warnings = (await outboxMails(server, dataDir, owner.email)).filter((mail) => /failed sign-ins/i.test(mail.subject));
  assert.equal(warnings.length, 1, 'the owner was told, once per wave');
});

test('one IP guessing one account is refused by the (account, IP) backoff; other IPs are not', async () => {
  const owner = await createUser(server);
  const attempt = await openSignIn(server, browserAt('192.0.2.10'), clientId);
  const statuses: number[] = [];
  for (let i = 0; i < 8; i += 1) statuses.push((await attempt(owner.email, `wrong-${i}`)).status);
  assert.deepEqual(statuses.slice(0, 4), [401, 401, 401, 401], 'three free attempts and the one that starts the backoff');
  assert.ok(statuses.slice(4).includes(429), `then refused: ${statuses}`);
  const elsewhere = await openSignIn(server, browserAt('192.0.2.11'), clientId);
  assert.ok(signedIn(await elsewhere(owner.email, owner.password)), 'the owner from another IP is not affected');
});

test('a known device has its own budget: past it, it is throttled like any other browser', async () => {
  const owner = await createUser(server);
  const tablet = browserAt('192.0.2.20');
  assert.ok(signedIn(await (await openSignIn(server, tablet, clientId))(owner.email, owner.password)));
  const attempt = await openSignIn(server, tablet, clientId);
  const statuses: number[] = [];
  for (let i = 0; i < 20; i += 1) statuses.push((await attempt(owner.email, `wrong-${i}`)).status);
  assert.deepEqual(statuses.slice(0, 14), Array(14).fill(401), 'ten on its own budget, then three free (account, IP) attempts and the one starting its backoff');
  assert.ok(statuses.slice(14).includes(429), `then refused: ${statuses}`);
});

test('one IP trying many different accounts is blocked, for real accounts and correct passwords too', async () => {
  const attempt = await openSignInPage(server, clientId);
  const ip = '192.0.2.66';
  let blockedAt = -1;
  for (let i = 0; i < 50; i += 1) {
    const result = await attempt(uniqueEmail('stuffing'), 'some-leaked-password', ip);
    if (result.status === 429) {
      blockedAt = i;
      break;
    }
    assert.equal(result.status, 401);
  }
  assert.ok(blockedAt > 0 && blockedAt <= 21, `blocked after ${blockedAt} accounts`);
  const real = await createUser(server);
  const result = await attempt(real.email, real.password, ip);
  assert.equal(result.status, 429);
  assert.ok(Number(result.retryAfter) > 60, 'the IP is blocked for a period');
  const elsewhere = await attempt(real.email, real.password, '192.0.2.67');
  assert.equal(elsewhere.status, 303, 'other IPs are unaffected');
});

test('unknown and known accounts get the same answer to a wrong password', async () => {
  const user = await createUser(server);
  const attempt = await openSignInPage(server, clientId);
  const known = await attempt(user.email, 'not-the-password', '198.18.0.1');
  const unknown = await attempt(uniqueEmail('nobody'), 'not-the-password', '198.18.0.2');
  assert.equal(known.status, unknown.status);
  const message = (body: string) => /<p class="error"[^>]*>([^<]+)</.exec(body)?.[1];
  assert.equal(message(known.body), message(unknown.body));
});
