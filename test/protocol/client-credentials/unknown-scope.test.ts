import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodeJwt } from 'jose';
import { createApi, createMachineClient, tokenRequest } from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';

let server: TestServer;
let api: string;
let client: { clientId: string; clientSecret: string };
const auth = () => ({ id: client.clientId, secret: client.clientSecret });
before(async () => {
  server = await startServer();
  api = await createApi(server, ['invoices:read', 'invoices:write']);
  client = await createMachineClient(server, api, ['invoices:read']);
});
after(() => server.close());

test('client credentials asking for a scope the client cannot have get invalid_scope naming it, not a scopeless token', async () => {
  for (const scope of ['invoices:write', 'invoices:read invoices:write', 'invoices:delete', 'openid']) {
    const response = await tokenRequest(server, { grant_type: 'client_credentials', scope }, auth());
    assert.equal(response.status, 400, scope);
    assert.equal(response.body.error, 'invalid_scope', scope);
    const refused = scope.split(' ').filter((s) => s !== 'invoices:read');
    assert.match(String(response.body.error_description), new RegExp(refused.join(' ')), `names ${refused.join(' ')}`);
    assert.equal(response.body.access_token, undefined);
  }
});

test('the same with an explicit resource, and for a client with two APIs and no resource', async () => {
  const withResource = await tokenRequest(server, { grant_type: 'client_credentials', scope: 'invoices:write', resource: api }, auth());
  assert.equal(withResource.body.error, 'invalid_scope');
  const other = await createApi(server, ['orders:read']);
  const two = await server.gatehouse.services.clients.create({
    name: 'two apis',
    type: 'confidential',
    grantTypes: ['client_credentials'],
    resources: [api, other],
    scopes: ['invoices:read', 'orders:read'],
  });
  const noResource = await tokenRequest(server, { grant_type: 'client_credentials', scope: 'orders:read' }, { id: two.client.clientId, secret: two.clientSecret! });
  assert.equal(noResource.body.error, 'invalid_scope', 'without a resource no API scope can be granted');
});

test('allowed scopes still work: the token carries them, and no scope asked is still answered', async () => {
  const asked = await tokenRequest(server, { grant_type: 'client_credentials', scope: 'invoices:read' }, auth());
  assert.equal(asked.status, 200);
  assert.equal(decodeJwt(String(asked.body.access_token)).scope, 'invoices:read');
  const unasked = await tokenRequest(server, { grant_type: 'client_credentials' }, auth());
  assert.equal(unasked.status, 200);
});

test('an API’s own access-token lifetime applies, longer or shorter than the server default; a client’s own shortens it', async () => {
  const expiresIn = async (apiTtl: number, clientTtl?: number) => {
    const identifier = await createApi(server, ['invoices:read']);
    await server.gatehouse.services.apis.update(identifier, { accessTokenTtl: apiTtl });
    const { client, clientSecret } = await server.gatehouse.services.clients.create({
      name: 'lifetimes',
      type: 'confidential',
      grantTypes: ['client_credentials'],
      resources: [identifier],
      scopes: ['invoices:read'],
      ...(clientTtl ? { accessTokenTtl: clientTtl } : {}),
    });
    const response = await tokenRequest(server, { grant_type: 'client_credentials', scope: 'invoices:read' }, { id: client.clientId, secret: clientSecret! });
    return response.body.expires_in;
  };
  assert.equal(await expiresIn(600), 600);
  assert.equal(await expiresIn(3600), 3600);
  assert.equal(await expiresIn(3600, 300), 300);
});
