/**
 * No user enumeration: sign-in, registration and password reset answer known and unknown emails
 * with the same status, the same body shape and — within a tolerance — the same time.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Browser } from '../harness/browser.ts';
import { createUser, createWebClient, uniqueEmail } from '../harness/fixtures.ts';
import { openSignInPage } from '../harness/login-attempts.ts';
import { startServer, type TestServer } from '../harness/server.ts';

let server: TestServer;
let clientId: string;
before(async () => {
  // Production hashing parameters: the dummy hash for unknown accounts must cost what a real one does.
  server = await startServer({ env: { GATEHOUSE_TRUST_PROXY: 'true', GATEHOUSE_PASSWORD_MEMORY_KIB: '19456', GATEHOUSE_PASSWORD_TIME_COST: '2' } });
  ({ clientId } = await createWebClient(server));
});
after(() => server.close());

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
/** Strips what legitimately differs (tokens, the echoed email) so only the shape is compared. */
const shape = (html: string) => html.replace(/value="[^"]*"/g, 'value=""').replace(/[\w.+-]+@[\w.-]+/g, 'EMAIL').replace(/\/interaction\/[^/"]+/g, '/interaction/UID').replace(/<code>[^<]*<\/code>/g, '');

async function compare(label: string, attempt: (email: string, i: number) => Promise<{ status: number; body: string }>, knownEmail: string) {
  const known: number[] = [];
  const unknown: number[] = [];
  let knownResult: { status: number; body: string } | undefined;
  let unknownResult: { status: number; body: string } | undefined;
  for (let i = 0; i < 8; i += 1) {
    for (const [email, times, keep] of [
      [knownEmail, known, (r: { status: number; body: string }) => (knownResult = r)],
      [uniqueEmail('nobody'), unknown, (r: { status: number; body: string }) => (unknownResult = r)],
    ] as const) {
      const started = performance.now();
      keep(await attempt(email, i));
      times.push(performance.now() - started);
    }
  }
  assert.equal(knownResult!.status, unknownResult!.status, `${label}: same status`);
  assert.equal(shape(knownResult!.body), shape(unknownResult!.body), `${label}: same body`);
  const [a, b] = [median(known), median(unknown)];
  assert.ok(Math.abs(a - b) <= Math.max(25, 0.5 * Math.max(a, b)), `${label}: comparable time (known ${a.toFixed(1)} ms, unknown ${b.toFixed(1)} ms)`);
}

test('sign-in: a wrong password for a known email and any password for an unknown one look the same', async () => {
  const user = await createUser(server, { password: 'orchid lantern frost 88' });
  await compare(
    'sign-in',
    async (email, i) => {
      const attempt = await openSignInPage(server, clientId);
      const result = await attempt(email, 'not the right password', `198.51.100.${(i % 200) + 1}`);
      return { status: result.status, body: result.body };
    },
    user.email,
  );
});

test('registration: a taken email and a free one get the same answer in comparable time', async () => {
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
  );
});

test('password reset: the same answer for known and unknown emails in comparable time', async () => {
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
  );
});
