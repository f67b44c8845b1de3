/**
 * No user enumeration: sign-in, registration and password reset answer known and unknown emails
 * with the same status, the same body shape and the same password work. Time is what an attacker
 * measures, but a test that compares milliseconds passes or fails with the machine's load; what
 * makes the times equal is that each answer costs the same argon2 work (an unknown account pays
 * a dummy verification, a taken email on registration still hashes), so that is what is counted,
 * from /metrics as an operator would see it. The reset form does its work after the response:
 * test/interactions/password-reset-mail.test.ts answers a known email while the mail server stalls.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Browser } from '../harness/browser.ts';
import { createUser, createWebClient, uniqueEmail } from '../harness/fixtures.ts';
import { openSignInPage } from '../harness/login-attempts.ts';
import { startServer, type TestServer } from '../harness/server.ts';

const METRICS_TOKEN = 'enumeration-metrics-token-0123456789';
let server: TestServer;
let clientId: string;
before(async () => {
  // Production hashing parameters: the dummy hash for unknown accounts must cost what a real one does.
  server = await startServer({
    env: { GATEHOUSE_TRUST_PROXY: 'true', GATEHOUSE_PASSWORD_MEMORY_KIB: '19456', GATEHOUSE_PASSWORD_TIME_COST: '2', GATEHOUSE_METRICS_TOKEN: METRICS_TOKEN },
  });
  ({ clientId } = await createWebClient(server));
});
after(() => server.close());

/** Strips what legitimately differs (tokens, the echoed email) so only the shape is compared. */
const shape = (html: string) => html.replace(/value="[^"]*"/g, 'value=""').replace(/[\w.+-]+@[\w.-]+/g, 'EMAIL').replace(/\/interaction\/[^/"]+/g, '/interaction/UID').replace(/back=[^"&]+/g, 'back=UID').replace(/<code>[^<]*<\/code>/g, '');

/** Password hashes and verifications the server has started, from /metrics. */
async function passwordWork(): Promise<{ hash: number; verify: number }> {
  const text = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const count = (operation: string) => Number(new RegExp(`^gatehouse_password_operations_total\\{operation="${operation}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { hash: count('hash'), verify: count('verify') };
}

type Answer = { status: number; body: string };

async function compare(label: string, attempt: (email: string, i: number) => Promise<Answer>, knownEmail: string, expectedWork: { hash: number; verify: number }) {
  for (let i = 0; i < 3; i += 1) {
    const answers: Answer[] = [];
    for (const email of [knownEmail, uniqueEmail('nobody')]) {
      const before = await passwordWork();
      answers.push(await attempt(email, i));
      await server.gatehouse.services.background.drain();
      const after = await passwordWork();
      const work = { hash: after.hash - before.hash, verify: after.verify - before.verify };
      assert.deepEqual(work, expectedWork, `${label}: ${email === knownEmail ? 'known' : 'unknown'} email costs the same password work`);
    }
    const [known, unknown] = answers as [Answer, Answer];
    assert.equal(known.status, unknown.status, `${label}: same status`);
    assert.equal(shape(known.body), shape(unknown.body), `${label}: same body`);
  }
}

test('sign-in: a wrong password for a known email and any password for an unknown one look the same and cost one verification each', async () => {
  const user = await createUser(server, { password: 'orchid lantern frost 88' });
  await compare(
    'sign-in',
    async (email, i) => {
      const attempt = await openSignInPage(server, clientId);
      const result = await attempt(email, 'not the right password', `198.51.100.${(i % 200) + 1}`);
      return { status: result.status, body: result.body };
    },
    user.email,
    { hash: 0, verify: 1 },
  );
});

test('registration: a taken email and a free one get the same answer and the same password work', async () => {
  const user = await createUser(server);
  await compare(
    'registration',
    async (email, i) => {
      const browser = new Browser('enumeration-test', { 'x-forwarded-for': `203.0.113.${i + 1}` });
      const step = await browser.follow(
        `${server.url}/auth?client_id=${clientId}&response_type=code&scope=openid&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`,
        server.url,
      );
      const uid = /\/interaction\/([^/"]+)\/register/.exec(await step.response!.text())![1]!;
      const form = await browser.follow(`${server.url}/interaction/${uid}/register`, server.url);
      const done = await browser.submitForm({ url: server.url, html: await form.response!.text() }, /\/register$/, { email, password: `amber comet quiver ${i}${i}` }, server.url);
      return { status: done.response!.status, body: await done.response!.text() };
    },
    user.email,
    { hash: 1, verify: 0 },
  );
});

test('password reset: the same answer for known and unknown emails, and no password work', async () => {
  const user = await createUser(server);
  await compare(
    'reset',
    async (email, i) => {
      const browser = new Browser('enumeration-test', { 'x-forwarded-for': `192.0.2.${i + 1}` });
      const page = await browser.follow(`${server.url}/password/forgot`, server.url);
      const done = await browser.submitForm({ url: server.url, html: await page.response!.text() }, '/password/forgot', { email }, server.url);
      return { status: done.response!.status, body: await done.response!.text() };
    },
    user.email,
    { hash: 0, verify: 0 },
  );
});
