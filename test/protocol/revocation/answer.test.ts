import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import * as oidc from 'openid-client';
import { authorizationCodeFlow, createUser, createWebClient, discover } from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';

let server: TestServer;
let client: { clientId: string; clientSecret: string };
let user: { email: string; password: string };
before(async () => {
  server = await startServer();
  client = await createWebClient(server);
  user = await createUser(server);
});
after(() => server.close());

/**
 * What oidc-client-ts 3.x (JsonService.postForm, default settings) demands of any answer: a
 * Content-Type that is absent or JSON, and a body that is empty or JSON. Its text/plain answer
 * used to fail there with "Invalid response Content-Type".
 */
function assertOidcClientTsAccepts(response: Response, body: string) {
  const type = response.headers.get('content-type');
  assert.ok(type === null || type.startsWith('application/json'), `Content-Type ${type} would make oidc-client-ts throw`);
  if (body) JSON.parse(body);
}

test('a successful revocation is 200 with no Content-Type and an empty body (RFC 7009 §2.2), as oidc-client-ts needs', async () => {
  const config = await discover(server, client);
  const { tokens } = await authorizationCodeFlow(server, config, user);
  const response = await fetch(`${server.url}/token/revocation`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ token: tokens.refresh_token!, token_type_hint: 'refresh_token' }),
  });
  const body = await response.text();
  assert.equal(response.status, 200);
  assert.equal(body, '');
  assert.equal(response.headers.get('content-type'), null);
  assertOidcClientTsAccepts(response, body);
  // The token really is gone.
  await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token!), (error: { cause?: { error?: string } }) => error.cause?.error === 'invalid_grant');
});

test('openid-client and oauth4webapi accept the revocation answer; an error stays JSON', async () => {
  const config = await discover(server, client);
  const { tokens } = await authorizationCodeFlow(server, config, user);
  await oidc.tokenRevocation(config, tokens.access_token);

  const as = await oauth.processDiscoveryResponse(
    new URL(server.url),
    await oauth.discoveryRequest(new URL(server.url), { [oauth.allowInsecureRequests]: true }),
  );
  const response = await oauth.revocationRequest(as, { client_id: client.clientId }, oauth.ClientSecretBasic(client.clientSecret), tokens.refresh_token!, {
    [oauth.allowInsecureRequests]: true,
  });
  assert.equal(await oauth.processRevocationResponse(response), undefined);

  const failed = await fetch(`${server.url}/token/revocation`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: client.clientId, client_secret: 'wrong', token: 'x' }),
  });
  assert.equal(failed.status, 401);
  assert.match(failed.headers.get('content-type') ?? '', /application\/json/);
  assert.equal(((await failed.json()) as { error: string }).error, 'invalid_client');
});
