/**
 * Changing a client checks the APIs it names while it holds the client's row: on the embedded
 * database (one connection) that check must not wait for a second connection, or the update
 * hangs until the pool gives up and the operator gets an error for a valid change.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN_READ_SCOPE, ADMIN_WRITE_SCOPE } from '../../../src/admin/index.ts';
import { adminToken, openAdminApi } from '../../harness/admin-api.ts';
import { createApi, tokenRequest } from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';

let server: TestServer;
let admin: Awaited<ReturnType<typeof openAdminApi>>;
let writer: string;
before(async () => {
  server = await startServer();
  admin = await openAdminApi(server);
  writer = await adminToken(server, [ADMIN_READ_SCOPE, ADMIN_WRITE_SCOPE]);
});
after(() => server.close());

test('a client is moved to an API nothing has read yet: the update succeeds and the new audience works', async () => {
  const billing = await createApi(server, ['read']);
  const settings = { name: 'Reports', type: 'confidential', grantTypes: ['client_credentials'], resources: [billing], scopes: ['read'] };
  const created = await admin.call('POST', '/clients', { token: writer, body: settings });
  assert.equal(created.status, 201);
  const { client, clientSecret } = created.body as { client: { clientId: string }; clientSecret: string };

  const ledger = await createApi(server, ['read']);
  const updated = await admin.call('PUT', `/clients/${client.clientId}`, { token: writer, body: { ...settings, resources: [billing, ledger] } });
  assert.equal(updated.status, 200, JSON.stringify(updated.body));
  const token = await tokenRequest(server, { grant_type: 'client_credentials', scope: 'read', resource: ledger }, { id: client.clientId, secret: clientSecret });
  assert.equal(token.status, 200, JSON.stringify(token.body));

  const unknown = await admin.call('PUT', `/clients/${client.clientId}`, { token: writer, body: { ...settings, resources: ['https://nowhere.example.test'] } });
  assert.equal(unknown.status, 400, 'an unregistered API is still refused');
});
