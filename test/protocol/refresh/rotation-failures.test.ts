/**
 * A refresh either completes — the client has its new token — or changes nothing — the old token
 * still works. Failures are injected in the database itself (a trigger) and on the link to it (a
 * proxy this test controls, services mode); a retry after any 5xx is never taken for theft.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestClock } from '../../harness/clock.ts';
import { authorizationCodeFlow, createUser, createWebClient, discover } from '../../harness/fixtures.ts';
import { storageEnv, storageMode } from '../../harness/mode.ts';
import { startServer, type TestServer } from '../../harness/server.ts';
import { startTcpProxy } from '../../harness/tcp-proxy.ts';

const GRACE_SECONDS = 10;
const services = storageMode() === 'services';
const clock = createTestClock();
let server: TestServer;
let pgProxy: Awaited<ReturnType<typeof startTcpProxy>> | undefined;

before(async () => {
  const env: Record<string, string> = { GATEHOUSE_REFRESH_GRACE_SECONDS: String(GRACE_SECONDS) };
  if (services) {
    const direct = new URL((await storageEnv()).DATABASE_URL!);
    pgProxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    direct.port = String(pgProxy.port);
    env.DATABASE_URL = direct.href;
  }
  server = await startServer({ clock, env });
});
after(async () => {
  pgProxy?.heal();
  await server?.close();
  await pgProxy?.close();
});

const sql = (text: string) => server.gatehouse.storage.db.raw(text);

async function signedInClient() {
  const user = await createUser(server);
  const client = await createWebClient(server);
  const { tokens } = await authorizationCodeFlow(server, await discover(server, client), user);
  const refresh = (token: string) =>
    fetch(`${server.url}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }),
      signal: AbortSignal.timeout(60_000),
    }).then(async (response) => ({ status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Record<string, string> }));
  return { client, token: tokens.refresh_token!, refresh };
}

/** A database-side fault on every insert of a rotated refresh token (a child: rotations > 0). */
async function onChildInsert(name: string, body: string, timing: 'before' | 'after') {
  await sql(`create or replace function ${name}() returns trigger language plpgsql as $$ begin ${body}; return new; end $$`);
  await sql(
    `create trigger ${name} ${timing} insert on oidc_payloads for each row when (new.model = 'RefreshToken' and coalesce((new.payload->>'rotations')::int, 0) > 0) execute function ${name}()`,
  );
  return () => sql(`drop trigger if exists ${name} on oidc_payloads`);
}

const reuseAlarms = (clientId: string) => server.logs.filter((line) => line.event === 'refresh_token.reused' && line.clientId === clientId);

test('the child cannot be inserted (disk full): 503 with Retry-After, and the old token still works', async () => {
  const { client, token, refresh } = await signedInClient();
  const removeFault = await onChildInsert('test_disk_full_on_child', `raise exception 'could not extend file (test)' using errcode = '53100'`, 'before');
  let failed: Awaited<ReturnType<typeof refresh>>;
  try {
    failed = await refresh(token);
  } finally {
    await removeFault();
  }
  assert.equal(failed.status, 503, JSON.stringify(failed.body));
  assert.equal(failed.body.error, 'temporarily_unavailable');
  assert.ok(Number(failed.retryAfter) > 0, 'Retry-After says when to try again');

  clock.advance(GRACE_SECONDS * 6);
  const retried = await refresh(token);
  assert.equal(retried.status, 200, 'the old token was never consumed: the retry, even much later, just works');
  assert.equal((await refresh(retried.body.refresh_token!)).status, 200, 'and the chain goes on');
  assert.deepEqual(reuseAlarms(client.clientId), [], 'no theft alarm');
});

test(
  'the rotation committed but its answer was lost with the database link: the retry, long after the grace window, gets the committed token',
  { skip: !services && 'needs a network link to the database to cut: runs in services mode' },
  async () => {
    const { client, token, refresh } = await signedInClient();
    // The rotation statement sleeps in a trigger after its insert; while it sleeps, the link goes
    // silent, so the statement commits but its answer never comes back.
    const removeFault = await onChildInsert('test_slow_child', 'perform pg_sleep(1.5)', 'after');
    const pending = refresh(token);
    try {
      for (const deadline = Date.now() + 60_000; ; ) {
        const { rows } = await sql(`select 1 from pg_stat_activity where wait_event = 'PgSleep' and datname = current_database()`);
        if (rows.length > 0) break;
        if (Date.now() > deadline) throw new Error('the rotation statement never reached the database');
      }
      pgProxy!.blackhole();
      const lost = await pending;
      assert.equal(lost.status, 503, `the client is told to retry: ${JSON.stringify(lost.body)}`);
      assert.ok(lost.retryAfter);
    } finally {
      pgProxy!.heal();
      await removeFault();
    }
    const { rows: committed } = await sql(`select count(*)::int as n from oidc_payloads where model = 'RefreshToken' and successor_id is not null and rotation_answered_at is null`);
    assert.ok(committed[0].n >= 1, 'the rotation did commit, unanswered');

    clock.advance(GRACE_SECONDS * 6);
    const retried = await refresh(token);
    assert.equal(retried.status, 200, `the honest retry gets the committed successor: ${JSON.stringify(retried.body)}`);
    assert.equal((await refresh(retried.body.refresh_token!)).status, 200, 'which works: the chain goes on');
    assert.deepEqual(reuseAlarms(client.clientId), [], 'no theft alarm');
  },
);

test('once a rotation was answered, its parent used after the grace window is theft again', async () => {
  const { client, token, refresh } = await signedInClient();
  const rotated = await refresh(token);
  assert.equal(rotated.status, 200);
  clock.advance(GRACE_SECONDS + 1);
  assert.equal((await refresh(token)).body.error, 'invalid_grant');
  assert.equal((await refresh(rotated.body.refresh_token!)).body.error, 'invalid_grant', 'the family is revoked');
  assert.equal(reuseAlarms(client.clientId).length, 1);
});
