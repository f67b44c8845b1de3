import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createUser, createWebClient, uniqueEmail } from '../harness/fixtures.ts';
import { openSignInPage } from '../harness/login-attempts.ts';
import { startServer, type TestServer } from '../harness/server.ts';

const CEILING = 2;
const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-bf-'));
let server: TestServer;
let clientId: string;
before(async () => {
  server = await startServer({ env: { GATEHOUSE_TRUST_PROXY: 'true', GATEHOUSE_BACKOFF_CEILING_SECONDS: String(CEILING), GATEHOUSE_DATA_DIR: dataDir } });
  ({ clientId } = await createWebClient(server));
});
after(async () => {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a distributed attack on one account slows it down, but the owner signs in once the ceiling has passed', async () => {
  const owner = await createUser(server);
  const attempt = await openSignInPage(server, clientId);
  const statuses: number[] = [];
  for (let i = 0; i < 30; i += 1) {
    const result = await attempt(owner.email, `wrong-password-${i}`, `203.0.113.${i % 10}`);
    statuses.push(result.status);
    if (result.status === 429) assert.ok(Number(result.retryAfter) <= CEILING, 'no wait is longer than the ceiling');
  }
  assert.ok(statuses.includes(401), 'wrong passwords are answered 401');
  assert.ok(statuses.includes(429), 'the attack is throttled');

  const during = await attempt(owner.email, owner.password, '198.51.100.7');
  assert.equal(during.status, 429, 'while the account backoff runs, even the owner waits');
  await sleep(CEILING * 1000 + 200);
  const afterCeiling = await attempt(owner.email, owner.password, '198.51.100.7');
  assert.equal(afterCeiling.status, 303, 'the owner signs in from a fresh IP once the ceiling has passed');

  await server.gatehouse.services.audit.flush();
  const events = await server.gatehouse.services.audit.query({ limit: 500 });
  const types = new Set(events.filter((e) => e.subject === owner.email || e.subject === owner.id).map((e) => e.type));
  for (const type of ['signin.failure', 'signin.backoff', 'signin.blocked', 'signin.success']) assert.ok(types.has(type), `audit has ${type}`);
  const failure = events.find((e) => e.type === 'signin.failure' && e.subject === owner.email);
  assert.equal(failure?.details.reason, 'bad_password');
  assert.ok(failure?.ip?.startsWith('203.0.113.'));
  assert.ok(!JSON.stringify(events).includes('wrong-password-'), 'no password in the audit trail');

  const mails = readdirSync(join(dataDir, 'outbox')).map((file) => JSON.parse(readFileSync(join(dataDir, 'outbox', file), 'utf8')));
  assert.ok(mails.some((mail) => mail.to === owner.email && /failed sign-ins/i.test(mail.subject)), 'the owner was told');
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
