/**
 * A stolen refresh token is worth nothing at another client: it cannot be redeemed, introspected
 * or revoked with another client's credentials (RFC 6749 §6, RFC 7662 §4, RFC 7009 §2.1).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { authorizationCodeFlow, createUser, createWebClient, discover, tokenRequest } from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

const basic = (client: { clientId: string; clientSecret: string }) =>
  `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`;

const post = (path: string, client: { clientId: string; clientSecret: string }, body: Record<string, string>) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: basic(client), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body),
  });

test('a refresh token is bound to its client: another client can neither redeem, introspect nor revoke it', async () => {
  const victim = await createWebClient(server, { name: 'Victim app' });
  const thief = await createWebClient(server, { name: 'Thief app' });
  const { tokens } = await authorizationCodeFlow(server, await discover(server, victim), await createUser(server));
  const stolen = tokens.refresh_token!;

  const redeemed = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: stolen }, { id: thief.clientId, secret: thief.clientSecret });
  assert.equal(redeemed.body.error, 'invalid_grant');
  assert.equal(redeemed.body.access_token, undefined);

  const introspected = (await (await post('/token/introspection', thief, { token: stolen })).json()) as Record<string, unknown>;
  assert.deepEqual(introspected, { active: false }, 'nothing about the token is disclosed');

  assert.equal((await post('/token/revocation', thief, { token: stolen })).status, 200, 'RFC 7009: the answer does not say');
  const stillWorks = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: stolen }, { id: victim.clientId, secret: victim.clientSecret });
  assert.equal(stillWorks.status, 200, 'the revocation by another client had no effect');
});
