import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createApi, createMachineClient, tokenRequest } from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

test('discovery names the client authentication methods of introspection and revocation (RFC 8414 §2)', async () => {
  const metadata = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, string[]>;
  const methods = metadata.token_endpoint_auth_methods_supported;
  assert.deepEqual(methods, ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']);
  assert.deepEqual(metadata.introspection_endpoint_auth_methods_supported, methods);
  assert.deepEqual(metadata.revocation_endpoint_auth_methods_supported, methods);
  assert.deepEqual(metadata.introspection_endpoint_auth_signing_alg_values_supported, metadata.token_endpoint_auth_signing_alg_values_supported);
  assert.deepEqual(metadata.revocation_endpoint_auth_signing_alg_values_supported, metadata.token_endpoint_auth_signing_alg_values_supported);
});

test('a method discovery advertises beyond Basic (client_secret_post) works at introspection and revocation', async () => {
  const api = await createApi(server);
  const client = await createMachineClient(server, api);
  const issued = await tokenRequest(server, { grant_type: 'client_credentials', scope: 'read' }, { id: client.clientId, secret: client.clientSecret });
  assert.equal(issued.status, 200);
  const post = (path: string) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: client.clientId, client_secret: client.clientSecret, token: 'not-a-token-we-issued' }),
    });
  const introspection = await post('/token/introspection');
  assert.equal(introspection.status, 200);
  assert.deepEqual(await introspection.json(), { active: false });
  assert.equal((await post('/token/revocation')).status, 200);
  const wrong = await fetch(`${server.url}/token/revocation`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: client.clientId, client_secret: 'wrong', token: 'x' }),
  });
  assert.equal(wrong.status, 401, 'client_secret_post is really checked');
});
