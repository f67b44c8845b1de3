/**
 * Attack: an attacker who obtains a dump of the stores — every table of the database, every key
 * of Redis — during the grace window of a rotation, and tries every token-shaped string in it
 * against the token and userinfo endpoints. The README promises such a dump holds no usable
 * token: refresh tokens (and the successor kept for retries) are digests or sealed under a key
 * derived from the parent token, which the dump does not hold (#14 finding 3).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestClock } from '../../harness/clock.ts';
import { authorizationCodeFlow, createUser, createWebClient, discover, tokenRequest } from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';
import { redisDump } from '../../harness/store-dump.ts';

const clock = createTestClock();
let server: TestServer;
before(async () => {
  server = await startServer({ clock, env: { GATEHOUSE_REFRESH_GRACE_SECONDS: '60' } });
});
after(() => server.close());

/** Every row of every table of Gatehouse's database, as text. */
async function databaseDump(): Promise<string> {
  const db = server.gatehouse.storage.db;
  const { rows: tables } = await db.raw(`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`);
  const parts: string[] = [];
  for (const { table_name: table } of tables as Array<{ table_name: string }>) parts.push(JSON.stringify(await db(table).select('*')));
  return parts.join('\n');
}


test('a dump of every store during the grace window holds no usable refresh token (nor access token)', async () => {
  const user = await createUser(server);
  const client = await createWebClient(server);
  const { tokens } = await authorizationCodeFlow(server, await discover(server, client), user);
  const refresh = (token: string) => tokenRequest(server, { grant_type: 'refresh_token', refresh_token: token }, { id: client.clientId, secret: client.clientSecret });
  const rotated = await refresh(tokens.refresh_token!);
  assert.equal(rotated.status, 200);
  const successor = String(rotated.body.refresh_token);
  clock.advance(5); // inside the 60 s window: the successor is kept for a retry right now

  const dump = `${await databaseDump()}\n${await redisDump(server)}`;
  assert.ok(dump.length > 0);
  assert.ok(!dump.includes(successor), 'the successor (the live refresh token) is not in the dump');
  assert.ok(!dump.includes(tokens.refresh_token!), 'nor its parent');
  assert.ok(!dump.includes(String(rotated.body.access_token)), 'nor the access token');

  // The attacker tries every token-shaped string of the dump as a refresh token and as a bearer token.
  const candidates = [...new Set(dump.match(/[A-Za-z0-9_-]{32,}/g) ?? [])];
  assert.ok(candidates.length > 10, 'the dump has plenty of token-shaped strings to try');
  for (const candidate of candidates) {
    const attempt = await refresh(candidate);
    assert.notEqual(attempt.status, 200, `a string from the dump works as a refresh token: ${candidate.slice(0, 8)}…`);
    const userinfo = await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${candidate}` } });
    assert.notEqual(userinfo.status, 200, `a string from the dump works as an access token: ${candidate.slice(0, 8)}…`);
  }

  // While the client holding the parent still gets its successor back inside the window.
  const retry = await refresh(tokens.refresh_token!);
  assert.equal(retry.status, 200);
  assert.equal(retry.body.refresh_token, successor);
});
