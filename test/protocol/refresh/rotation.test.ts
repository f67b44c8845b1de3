import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestClock } from '../../harness/clock.ts';
import { authorizationCodeFlow, createUser, createWebClient, discover, tokenRequest } from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';

const clock = createTestClock();
let server: TestServer;
before(async () => {
  server = await startServer({ clock, env: { GATEHOUSE_REFRESH_GRACE_SECONDS: '10' } });
});
after(() => server.close());

async function signedInClient() {
  const user = await createUser(server);
  const client = await createWebClient(server);
  const config = await discover(server, client);
  const { tokens } = await authorizationCodeFlow(server, config, user);
  const refresh = (refreshToken: string) =>
    tokenRequest(server, { grant_type: 'refresh_token', refresh_token: refreshToken }, { id: client.clientId, secret: client.clientSecret });
  return { client, refreshToken: tokens.refresh_token!, refresh };
}

test('every refresh returns a new refresh token and a new access token', async () => {
  const { refreshToken, refresh } = await signedInClient();
  const first = await refresh(refreshToken);
  assert.equal(first.status, 200);
  assert.notEqual(first.body.refresh_token, refreshToken);
  const second = await refresh(String(first.body.refresh_token));
  assert.equal(second.status, 200);
  assert.notEqual(second.body.refresh_token, first.body.refresh_token);
  assert.notEqual(second.body.access_token, first.body.access_token);
});

test('a retry of the same refresh inside the grace window gets the same new refresh token, which then works', async () => {
  const { refreshToken, refresh } = await signedInClient();
  const original = await refresh(refreshToken);
  clock.advance(5);
  const retry = await refresh(refreshToken);
  assert.equal(retry.status, 200);
  assert.equal(retry.body.refresh_token, original.body.refresh_token, 'same successor, no new branch');
  assert.notEqual(retry.body.access_token, original.body.access_token, 'a fresh access token');
  const next = await refresh(String(original.body.refresh_token));
  assert.equal(next.status, 200, 'the family is alive');
});

test('a rotated refresh token used after the grace window is theft: invalid_grant and the newest token dies too', async () => {
  const { client, refreshToken, refresh } = await signedInClient();
  const rotated = await refresh(refreshToken);
  clock.advance(11);
  const replay = await refresh(refreshToken);
  assert.equal(replay.status, 400);
  assert.equal(replay.body.error, 'invalid_grant');
  const newest = await refresh(String(rotated.body.refresh_token));
  assert.equal(newest.body.error, 'invalid_grant', 'the whole family is revoked');

  const event = server.logs.find((line) => line.event === 'refresh_token.reused' && line.clientId === client.clientId);
  assert.ok(event, 'a refresh_token.reused security event is logged');
  assert.equal(event.level, 40, 'at warn level');
  assert.ok(event.grantId);
  assert.ok(event.ip);
  assert.ok(!server.rawLogs().includes(refreshToken), 'the token itself is never logged');
});

test('a refresh token two generations back is refused at any time, even inside the grace window', async () => {
  const { refreshToken, refresh } = await signedInClient();
  const child = await refresh(refreshToken);
  const grandchild = await refresh(String(child.body.refresh_token));
  assert.equal(grandchild.status, 200);
  const replay = await refresh(refreshToken);
  assert.equal(replay.body.error, 'invalid_grant');
  const newest = await refresh(String(grandchild.body.refresh_token));
  assert.equal(newest.body.error, 'invalid_grant', 'the newest token is revoked with the family');
});

test('20 parallel refreshes of one token all receive the same single new refresh token, which works', async () => {
  const { refreshToken, refresh } = await signedInClient();
  const results = await Promise.all(Array.from({ length: 20 }, () => refresh(refreshToken)));
  assert.deepEqual(
    results.map((r) => r.status),
    Array(20).fill(200),
  );
  const issued = new Set(results.map((r) => r.body.refresh_token));
  assert.equal(issued.size, 1, 'exactly one new refresh token exists');
  const next = await refresh(String([...issued][0]));
  assert.equal(next.status, 200);
});

test('with the grace window off (0), any replay of a rotated token is reuse', async () => {
  const strict = await startServer({ env: { GATEHOUSE_REFRESH_GRACE_SECONDS: '0' } });
  try {
    const user = await createUser(strict);
    const client = await createWebClient(strict);
    const { tokens } = await authorizationCodeFlow(strict, await discover(strict, client), user);
    const refresh = (token: string) =>
      tokenRequest(strict, { grant_type: 'refresh_token', refresh_token: token }, { id: client.clientId, secret: client.clientSecret });
    const rotated = await refresh(tokens.refresh_token!);
    assert.equal(rotated.status, 200);
    assert.equal((await refresh(tokens.refresh_token!)).body.error, 'invalid_grant');
    assert.equal((await refresh(String(rotated.body.refresh_token))).body.error, 'invalid_grant');
  } finally {
    await strict.close();
  }
});

test('refresh tokens are stored as digests: the database holds no usable token value', async () => {
  const { refreshToken } = await signedInClient();
  const rows = await server.gatehouse.storage.db('oidc_payloads').where({ model: 'RefreshToken' }).select('id', 'payload');
  const dump = JSON.stringify(rows);
  assert.ok(rows.length > 0);
  assert.ok(!dump.includes(refreshToken));
});

test('a refresh returns an ID token when openid is in its scope (OIDC Core §12.2), and none when the client narrows scope without it', async () => {
  const { client, refreshToken } = await signedInClient();
  const withOpenid = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: refreshToken }, { id: client.clientId, secret: client.clientSecret });
  assert.equal(withOpenid.status, 200);
  assert.ok(withOpenid.body.id_token, 'the grant has openid: an ID token, as clients such as kubectl expect');
  const narrowed = await tokenRequest(
    server,
    { grant_type: 'refresh_token', refresh_token: String(withOpenid.body.refresh_token), scope: 'email' },
    { id: client.clientId, secret: client.clientSecret },
  );
  assert.equal(narrowed.status, 200);
  assert.equal(narrowed.body.id_token, undefined, 'no openid in this refresh: no ID token to sign');
  assert.equal(narrowed.body.scope, 'email');
});
