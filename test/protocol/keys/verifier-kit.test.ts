import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createResourceServer } from '../../../examples/resource-server/server.ts';
import { createApi, createMachineClient, tokenRequest } from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';

let gatehouse: TestServer;
let api: Server;
let apiUrl: string;
let identifier: string;
before(async () => {
  gatehouse = await startServer();
  identifier = await createApi(gatehouse, ['invoices:read', 'invoices:write']);
  api = createServer();
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  api.on('request', createResourceServer({ issuer: gatehouse.url, audience: identifier, publicUrl: apiUrl }).callback());
});
after(async () => {
  api.close();
  await gatehouse.close();
});

const call = (token?: string) => fetch(`${apiUrl}/invoices`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

async function tokenFor(resource: string, scope: string) {
  const client = await createMachineClient(gatehouse, resource, scope.split(' '));
  const response = await tokenRequest(gatehouse, { grant_type: 'client_credentials', scope }, { id: client.clientId, secret: client.clientSecret });
  return String(response.body.access_token);
}

test('the example API accepts a token for its audience with the required scope', async () => {
  const response = await call(await tokenFor(identifier, 'invoices:read'));
  assert.equal(response.status, 200);
  assert.ok(((await response.json()) as { caller: string }).caller);
});

test('a token for another API is refused (401 invalid_token), one without the scope is 403 insufficient_scope', async () => {
  const other = await createApi(gatehouse, ['invoices:read']);
  const wrongAudience = await call(await tokenFor(other, 'invoices:read'));
  assert.equal(wrongAudience.status, 401);
  assert.match(wrongAudience.headers.get('www-authenticate') ?? '', /invalid_token/);
  const weak = await call(await tokenFor(identifier, 'invoices:write'));
  assert.equal(weak.status, 403);
  assert.match(weak.headers.get('www-authenticate') ?? '', /insufficient_scope/);
});

test('no token, a garbage token, an unsigned (alg none) token and a query-string token are refused', async () => {
  assert.equal((await call()).status, 401);
  assert.equal((await call('garbage')).status, 401);
  const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${Buffer.from(
    JSON.stringify({ iss: gatehouse.url, aud: identifier, sub: 'x', exp: 9_999_999_999, iat: 1, scope: 'invoices:read' }),
  ).toString('base64url')}.`;
  assert.equal((await call(unsigned)).status, 401);
  assert.equal((await fetch(`${apiUrl}/invoices?access_token=${await tokenFor(identifier, 'invoices:read')}`)).status, 401, 'query-string tokens are ignored');
});
