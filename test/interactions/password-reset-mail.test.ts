/**
 * GH-08: the forgotten-password form must not tell, by its time or its errors, whether an account
 * exists. The reset mail leaves through the outbox after the response; a stalled or failing SMTP
 * server is the outbox's problem (retries), never the requester's.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Browser } from '../harness/browser.ts';
import { createTestClock } from '../harness/clock.ts';
import { createUser, uniqueEmail } from '../harness/fixtures.ts';
import { startServer, type TestServer } from '../harness/server.ts';
import { startSmtpServer } from '../harness/smtp.ts';

const clock = createTestClock();
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let server: TestServer;
before(async () => {
  smtp = await startSmtpServer();
  server = await startServer({ clock, env: { SMTP_URL: smtp.url, GATEHOUSE_TRUST_PROXY: 'true' } });
});
after(async () => {
  smtp.release();
  await server.close();
  await smtp.close();
});

let ip = 0;
/** Asks for a reset link from a fresh browser (its own IP: the form allows 10 an hour per IP). */
async function forgot(email: string) {
  ip += 1;
  const browser = new Browser('test-browser', { 'x-forwarded-for': `192.0.2.${ip}` });
  const page = await browser.follow(`${server.url}/password/forgot`, server.url);
  const csrf = /name="csrf" value="([^"]+)"/.exec(await page.response!.text())![1]!;
  const response = await browser.request(`${server.url}/password/forgot`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf, email }),
    // Generous: far longer than this request needs, far shorter than an SMTP client waits for a silent server.
    signal: AbortSignal.timeout(15_000),
  });
  return { status: response.status, body: (await response.text()).replace(/value="[^"]*"/g, '') };
}

test('with the mail server stalled, a known email is answered like an unknown one, before the mail server says a word', async () => {
  const user = await createUser(server);
  smtp.setMode('hold');
  const known = await forgot(user.email);
  const unknown = await forgot(uniqueEmail('nobody'));
  assert.equal(known.status, 200);
  assert.deepEqual(known, unknown, 'the same answer');
  smtp.release();
  await server.gatehouse.services.background.drain();
  await server.gatehouse.services.notifications.deliverDue();
  assert.ok(
    smtp.received.some((mail) => mail.to.includes(user.email) && /Reset your password/.test(mail.data)),
    'the mail went out once the server answered',
  );
});

test('with the mail server refusing, a known email gets no error; the outbox retries until the mail is delivered', async () => {
  const user = await createUser(server);
  smtp.setMode('refuse');
  const known = await forgot(user.email);
  const unknown = await forgot(uniqueEmail('nobody'));
  assert.equal(known.status, 200, 'no 500 for an existing account');
  assert.deepEqual(known, unknown);
  await server.gatehouse.services.background.drain();
  await server.gatehouse.services.notifications.deliverDue();
  assert.equal(smtp.received.filter((mail) => mail.to.includes(user.email)).length, 0, 'refused for now');
  assert.equal(await server.gatehouse.services.notifications.pending(), 1, 'kept in the outbox');

  smtp.setMode('accept');
  await server.gatehouse.services.notifications.deliverDue();
  assert.equal(smtp.received.filter((mail) => mail.to.includes(user.email)).length, 0, 'not retried before its time');
  clock.advance(31);
  await server.gatehouse.services.notifications.deliverDue();
  const mail = smtp.received.find((entry) => entry.to.includes(user.email));
  assert.ok(mail && /Reset your password/.test(mail.data), 'delivered on the retry');
  assert.ok(/\/password\/reset\?token=\S+/.test(mail.data), 'with its link');
  assert.equal(await server.gatehouse.services.notifications.pending(), 0);
  assert.match(server.rawLogs(), /"event":"mail.retry"/, 'the failed attempt was logged for the operator');
});
