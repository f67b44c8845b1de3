/**
 * Event hooks over real HTTP: a receiver in this process (a real server on 127.0.0.1), events
 * caused through the admin API, the delivery job run by hand and the test clock moved past each
 * backoff (no sleeping). One file, tests in order: in services mode the servers here share one
 * outbox, and each test leaves none of its deliveries pending.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ADMIN_READ_SCOPE, ADMIN_WRITE_SCOPE } from '../../../src/admin/index.ts';
import { adminToken, openAdminApi } from '../../harness/admin-api.ts';
import { createTestClock } from '../../harness/clock.ts';
import { startServer, type TestServer } from '../../harness/server.ts';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  parsed: { id: string; type: string; timestamp: string; data: { subject: string | null; actor: string | null; details: Record<string, unknown> } };
  answered: number;
}

type Verify = (secret: string, headers: IncomingHttpHeaders, rawBody: string, options?: { now?: number; toleranceSeconds?: number }) => boolean;

/** The README's verification snippet, exactly as printed there. */
async function readmeVerifier(): Promise<Verify> {
  const readme = readFileSync(join(import.meta.dirname, '..', '..', '..', 'README.md'), 'utf8');
  const block = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((match) => match[1] ?? '').find((code) => code.includes('export function verifyWebhook'));
  assert.ok(block, 'the README has the verifyWebhook snippet');
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-verify-'));
  const file = join(dir, 'verify.mjs');
  writeFileSync(file, block);
  try {
    return ((await import(file)) as { verifyWebhook: Verify }).verifyWebhook;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A webhook receiver: records every request; answers 500 to the first `failures(subject)`
 * deliveries about a subject, then 200, and de-duplicates by event id as the README tells
 * receivers to. Other tests' events (services mode shares the database) are answered 200.
 */
async function startReceiver() {
  const received: Received[] = [];
  const processed = new Map<string, number>();
  const failuresFor = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const parsed = JSON.parse(body) as Received['parsed'];
      const subject = parsed.data.subject ?? '';
      const left = failuresFor.get(subject) ?? 0;
      const answered = left > 0 ? 500 : 200;
      if (left > 0) failuresFor.set(subject, left - 1);
      else processed.set(parsed.id, (processed.get(parsed.id) ?? 0) + (processed.has(parsed.id) ? 0 : 1));
      received.push({ headers: request.headers, body, parsed, answered });
      response.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    about: (subject: string) => received.filter((entry) => entry.parsed.data.subject === subject),
    processed,
    /** The next `count` deliveries about `subject` fail (Infinity: all of them). */
    failNext: (subject: string, count: number) => failuresFor.set(subject, count),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const clock = createTestClock();
let server: TestServer;
let admin: Awaited<ReturnType<typeof openAdminApi>>;
let cachedToken: { value: string; mintedAt: number } | undefined;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let verifyWebhook: Verify;

before(async () => {
  receiver = await startReceiver();
  verifyWebhook = await readmeVerifier();
  // The receiver listens on loopback over http: this server allows both (the default refuses them, below).
  server = await startServer({
    clock,
    env: { GATEHOUSE_WEBHOOKS_ALLOW_HTTP: 'true', GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: 'true', GATEHOUSE_WEBHOOKS_MAX_ATTEMPTS: '3' },
  });
  admin = await openAdminApi(server);
});

/** An admin token (the clock is always back at its start when the admin API is called). */
async function tokenNow(target = server): Promise<string> {
  if (target !== server) return adminToken(target, [ADMIN_READ_SCOPE, ADMIN_WRITE_SCOPE]);
  cachedToken ??= { value: await adminToken(server, [ADMIN_READ_SCOPE, ADMIN_WRITE_SCOPE]), mintedAt: clock.now().getTime() };
  return cachedToken.value;
}

/**
 * Runs the delivery job `hoursLater`: the clock moves past the backoffs, the job runs, and the
 * clock comes back, so tokens and keys stay valid for the admin calls in between (no sleeping).
 */
async function deliverLater(hoursLater: number) {
  clock.advance(hoursLater * 3600);
  try {
    await deliver(server);
  } finally {
    clock.advance(-hoursLater * 3600);
  }
}
after(async () => {
  await server?.close();
  await receiver?.close();
});

async function subscribe(api: typeof admin, bearer: string, url: string, events: string[]) {
  const created = await api.call('POST', '/webhooks', { token: bearer, body: { url, events, description: 'test receiver' } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const body = created.body as { webhook: { id: string }; secret: string };
  assert.match(body.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  return { id: body.webhook.id, secret: body.secret, delete: async (fresh?: string) => api.call('DELETE', `/webhooks/${body.webhook.id}`, { token: fresh ?? bearer }) };
}

/** An event of type role.created whose subject is a fresh role name, caused over the admin API. */
async function createRole(api: typeof admin, bearer: string): Promise<string> {
  const name = `hook-${randomBytes(5).toString('hex')}`;
  assert.equal((await api.call('POST', '/roles', { token: bearer, body: { name } })).status, 201);
  return name;
}

/** Runs the delivery job once, after the audit trail's buffer is written. */
async function deliver(target: TestServer) {
  await target.gatehouse.services.audit.flush();
  const report = await target.gatehouse.jobs.runOnce('webhooks.deliver');
  assert.equal(report.outcome, 'success', JSON.stringify(report));
}

async function deliveriesOf(webhookId: string, status?: string) {
  const answer = await admin.call('GET', `/webhook-deliveries?webhook=${webhookId}${status ? `&status=${status}` : ''}`, { token: await tokenNow() });
  assert.equal(answer.status, 200);
  return (answer.body as { items: Array<{ id: string; eventId: string; eventType: string; status: string; attempts: number; lastError: string | null }> }).items;
}

test('a receiver that fails twice then succeeds gets the event exactly once by id: every retry carries the same id and a valid signature', async () => {
  const hook = await subscribe(admin, await tokenNow(), receiver.url, ['role.created']);
  try {
    const role = await createRole(admin, await tokenNow());
    receiver.failNext(role, 2);
    // Each round runs an hour later than the one before: past every backoff (30 s, 60 s).
    for (let round = 0; round < 6 && !receiver.about(role).some((entry) => entry.answered === 200); round += 1) await deliverLater(round);
    const attempts = receiver.about(role);
    assert.deepEqual(
      attempts.map((entry) => entry.answered),
      [500, 500, 200],
    );
    const ids = new Set(attempts.map((entry) => entry.headers['webhook-id']));
    assert.equal(ids.size, 1, 'the retries carry the same event id');
    const [eventId] = [...ids];
    assert.match(String(eventId), /^evt_\d+$/);
    assert.equal(receiver.processed.get(String(eventId)), 1, 'processed exactly once');
    for (const entry of attempts) {
      assert.equal(entry.parsed.id, eventId);
      assert.equal(entry.parsed.type, 'role.created');
      const sentAt = Number(entry.headers['webhook-timestamp']);
      assert.ok(verifyWebhook(hook.secret, entry.headers, entry.body, { now: sentAt }), 'the README snippet verifies the signature');
    }

    // Nothing more is sent once it was taken, however much later the job runs.
    await deliverLater(24);
    assert.equal(receiver.about(role).length, 3);
    const [delivery] = (await deliveriesOf(hook.id)).filter((row) => row.eventId === eventId);
    assert.deepEqual({ status: delivery?.status, attempts: delivery?.attempts }, { status: 'delivered', attempts: 3 });
  } finally {
    await hook.delete(await tokenNow());
  }
});

test('a bad signature is detectable: a tampered body, another secret, a replayed old delivery all fail verification', async () => {
  const hook = await subscribe(admin, await tokenNow(), receiver.url, ['role.created']);
  try {
    const role = await createRole(admin, await tokenNow());
    await deliver(server);
    const [entry] = receiver.about(role);
    assert.ok(entry, 'delivered');
    const sentAt = Number(entry.headers['webhook-timestamp']);
    assert.equal(verifyWebhook(hook.secret, entry.headers, entry.body, { now: sentAt }), true);
    const tampered = entry.body.replace('"role.created"', '"role.deleted"');
    assert.notEqual(tampered, entry.body);
    assert.equal(verifyWebhook(hook.secret, entry.headers, tampered, { now: sentAt }), false, 'a tampered body fails');
    assert.equal(verifyWebhook(hook.secret, { ...entry.headers, 'webhook-id': 'evt_1' }, entry.body, { now: sentAt }), false, 'another event id fails');
    const otherSecret = `whsec_${randomBytes(32).toString('base64')}`;
    assert.equal(verifyWebhook(otherSecret, entry.headers, entry.body, { now: sentAt }), false, 'another secret fails');
    assert.equal(verifyWebhook(hook.secret, entry.headers, entry.body, { now: sentAt + 3600 }), false, 'an hour-old delivery is refused as a replay');
  } finally {
    await hook.delete(await tokenNow());
  }
});

test('an event type not subscribed is not delivered; a disabled webhook gets nothing', async () => {
  const hook = await subscribe(admin, await tokenNow(), receiver.url, ['role.deleted']);
  try {
    const role = await createRole(admin, await tokenNow());
    await deliver(server);
    assert.equal(receiver.about(role).length, 0, 'role.created is not one of its events');
    assert.equal((await admin.call('DELETE', `/roles/${role}`, { token: await tokenNow() })).status, 204);
    await deliver(server);
    assert.deepEqual(
      receiver.about(role).map((entry) => entry.parsed.type),
      ['role.deleted'],
    );

    const paused = await admin.call('PATCH', `/webhooks/${hook.id}`, { token: await tokenNow(), body: { enabled: false } });
    assert.equal(paused.status, 200);
    assert.equal((paused.body as { secret: string | null }).secret, null, 'no secret unless rotated');
    const another = await createRole(admin, await tokenNow());
    assert.equal((await admin.call('DELETE', `/roles/${another}`, { token: await tokenNow() })).status, 204);
    await deliver(server);
    assert.equal(receiver.about(another).length, 0);
  } finally {
    await hook.delete(await tokenNow());
  }
});

test('after the last attempt a delivery is dead-lettered, visible in the admin API, and redelivered with the same id', async () => {
  const hook = await subscribe(admin, await tokenNow(), receiver.url, ['role.created']);
  try {
    const role = await createRole(admin, await tokenNow());
    receiver.failNext(role, Number.POSITIVE_INFINITY);
    for (let round = 0; round < 5; round += 1) await deliverLater(round);
    assert.equal(receiver.about(role).length, 3, 'GATEHOUSE_WEBHOOKS_MAX_ATTEMPTS=3 attempts, then no more');
    const eventId = receiver.about(role)[0]?.headers['webhook-id'];
    const dead = (await deliveriesOf(hook.id, 'dead')).find((row) => row.eventId === eventId);
    assert.ok(dead, 'listed among the dead letters');
    assert.deepEqual({ attempts: dead.attempts, lastError: dead.lastError, type: dead.eventType }, { attempts: 3, lastError: 'receiver answered HTTP 500', type: 'role.created' });

    receiver.failNext(role, 0);
    const again = await admin.call('POST', `/webhook-deliveries/${dead.id}/redelivery`, { token: await tokenNow() });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal((again.body as { status: string }).status, 'pending');
    await deliver(server);
    const last = receiver.about(role).at(-1);
    assert.deepEqual({ id: last?.headers['webhook-id'], answered: last?.answered }, { id: eventId, answered: 200 });
    assert.ok(verifyWebhook(hook.secret, last?.headers ?? {}, last?.body ?? '', { now: Number(last?.headers['webhook-timestamp']) }));
    assert.equal((await deliveriesOf(hook.id, 'dead')).filter((row) => row.eventId === eventId).length, 0);

    const twice = await admin.call('POST', `/webhook-deliveries/${dead.id}/redelivery`, { token: await tokenNow() });
    assert.equal(twice.status, 409, 'only a dead delivery can be redelivered');
  } finally {
    await hook.delete(await tokenNow());
  }
});

test('unless allowed by configuration, a receiver on a loopback address (literal or by name) is refused and never gets a request', async () => {
  // The default policy (GATEHOUSE_OUTBOUND_ALLOW_PRIVATE unset); http: accepted only because the
  // test receiver has no certificate (the scheme rule is tested in test/unit/webhooks/).
  const strict = await startServer({ clock, env: { GATEHOUSE_WEBHOOKS_ALLOW_HTTP: 'true' } });
  try {
    const strictAdmin = await openAdminApi(strict);
    const strictToken = await tokenNow(strict);
    const { port } = new URL(receiver.url);
    const hooks = [
      await subscribe(strictAdmin, strictToken, `http://127.0.0.1:${port}/hook`, ['role.created']),
      await subscribe(strictAdmin, strictToken, `http://localhost:${port}/hook`, ['role.created']),
    ];
    try {
      const role = await createRole(strictAdmin, strictToken);
      await deliver(strict);
      assert.equal(receiver.about(role).length, 0, 'no request reached the receiver');
      for (const hook of hooks) {
        const answer = await strictAdmin.call('GET', `/webhook-deliveries?webhook=${hook.id}`, { token: strictToken });
        const rows = (answer.body as { items: Array<{ status: string; attempts: number; lastError: string }> }).items;
        assert.equal(rows.length, 1, `one delivery of ${role}`);
        assert.deepEqual({ status: rows[0]?.status, attempts: rows[0]?.attempts }, { status: 'dead', attempts: 1 }, `refused at once, no retry can help: ${rows[0]?.lastError}`);
        assert.match(String(rows[0]?.lastError), /^refused: the receiver resolves to a loopback, private or link-local address/);
      }
    } finally {
      for (const hook of hooks) await hook.delete();
    }
  } finally {
    await strict.close();
  }
  // The same receiver is reached from the server that allows private networks (the tests above).
});

test('bad input to the webhook endpoints is a clear 400 or 404, never a 500', async () => {
  const cases: Array<[string, string, unknown, number]> = [
    ['POST', '/webhooks', { url: 'not a url', events: ['role.created'] }, 400],
    ['POST', '/webhooks', { url: 'https://user:pw@siem.example/hook', events: ['role.created'] }, 400],
    ['POST', '/webhooks', { url: 'https://siem.example/hook', events: ['Not A Type'] }, 400],
    ['PATCH', '/webhooks/wh_missing', { description: 'x' }, 404],
    ['DELETE', '/webhooks/wh_missing', undefined, 404],
    ['POST', '/webhook-deliveries/999999999/redelivery', undefined, 404],
  ];
  const empty = await admin.call('POST', '/webhooks', { token: await tokenNow(), rawBody: JSON.stringify({ url: 'https://siem.example/hook', events: [] }) });
  assert.equal(empty.status, 400, 'no event types');
  for (const [method, path, body, status] of cases) {
    const answer = await admin.call(method, path, { token: await tokenNow(), ...(body !== undefined ? { body } : {}) });
    assert.equal(answer.status, status, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(answer.body)}`);
  }
  assert.doesNotMatch(server.rawLogs(), /whsec_/, 'no signing secret in the logs');
});
