import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestClock } from '../../harness/clock.ts';
import { createApi, createMachineClient, tokenRequest } from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';

const clock = createTestClock();
let server: TestServer;
before(async () => {
  server = await startServer({ clock });
});
after(() => server.close());

const clientCredentials = (client: { clientId: string }, secret: string) =>
  tokenRequest(server, { grant_type: 'client_credentials', scope: 'read' }, { id: client.clientId, secret });

async function storedMetadataText(clientId: string): Promise<string> {
  const row = await server.gatehouse.storage.db('clients').where({ client_id: clientId }).first('metadata');
  return JSON.stringify(row.metadata);
}

test('secret rotation: old and new secrets both work during the overlap, only the new one afterwards; no plaintext stored', async () => {
  const api = await createApi(server, ['read']);
  const client = await createMachineClient(server, api);
  const { clientSecret: newSecret, previousSecretExpiresAt } = await server.gatehouse.services.clients.rotateSecret(client.clientId, { overlapSeconds: 3600 });
  assert.notEqual(newSecret, client.clientSecret);
  assert.ok(previousSecretExpiresAt && previousSecretExpiresAt * 1000 > clock.now().getTime());

  assert.equal((await clientCredentials(client, client.clientSecret)).status, 200, 'old secret during the overlap');
  assert.equal((await clientCredentials(client, newSecret)).status, 200, 'new secret');

  const stored = await storedMetadataText(client.clientId);
  assert.ok(!stored.includes(client.clientSecret) && !stored.includes(newSecret), 'only digests at rest');

  clock.advance(3601);
  const old = await clientCredentials(client, client.clientSecret);
  assert.equal(old.status, 401);
  assert.equal(old.body.error, 'invalid_client');
  assert.equal((await clientCredentials(client, newSecret)).status, 200);
  assert.equal((await server.gatehouse.services.clients.find(client.clientId))?.previousSecretExpiresAt, null);
});

test('rotation without overlap ends the old secret at once; two concurrent rotations both take effect', async () => {
  const api = await createApi(server, ['read']);
  const client = await createMachineClient(server, api);
  const { clientSecret } = await server.gatehouse.services.clients.rotateSecret(client.clientId, { overlapSeconds: 0 });
  assert.equal((await clientCredentials(client, client.clientSecret)).status, 401);
  assert.equal((await clientCredentials(client, clientSecret)).status, 200);

  const [first, second] = await Promise.all([
    server.gatehouse.services.clients.rotateSecret(client.clientId, { overlapSeconds: 600 }),
    server.gatehouse.services.clients.rotateSecret(client.clientId, { overlapSeconds: 600 }),
  ]);
  // Row-locked: one rotation follows the other, so neither new secret is lost.
  assert.equal((await clientCredentials(client, first.clientSecret)).status, 200);
  assert.equal((await clientCredentials(client, second.clientSecret)).status, 200);
});

test('rotation refuses an unknown client, a negative or over-long overlap, and a client without a secret', async () => {
  const { clients } = server.gatehouse.services;
  await assert.rejects(clients.rotateSecret('no-such-client', { overlapSeconds: 60 }), { code: 'not_found' });
  const api = await createApi(server, ['read']);
  const client = await createMachineClient(server, api);
  await assert.rejects(clients.rotateSecret(client.clientId, { overlapSeconds: -1 }), { code: 'validation_failed' });
  await assert.rejects(clients.rotateSecret(client.clientId, { overlapSeconds: 30 * 86_400 }), { code: 'validation_failed' });
  const { client: publicClient } = await clients.create({
    name: 'SPA',
    type: 'public',
    grantTypes: ['authorization_code'],
    redirectUris: ['https://spa.example.test/cb'],
  });
  await assert.rejects(clients.rotateSecret(publicClient.clientId, { overlapSeconds: 60 }), { code: 'validation_failed' });
});

test('per-client CORS origins: only the listed origins get CORS headers from the token endpoint', async () => {
  const api = await createApi(server, ['read']);
  const { client } = await server.gatehouse.services.clients.create({
    name: 'SPA',
    type: 'public',
    grantTypes: ['authorization_code'],
    redirectUris: ['https://app.example.test/callback'],
    allowedCorsOrigins: ['https://console.example.test'],
    resources: [api],
  });
  const tokenCall = (origin: string) =>
    fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'x', client_id: client.clientId, code_verifier: 'v'.repeat(43), redirect_uri: 'https://app.example.test/callback' }),
    });
  const allowed = await tokenCall('https://console.example.test');
  assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://console.example.test');
  const redirectOrigin = await tokenCall('https://app.example.test');
  assert.equal(redirectOrigin.headers.get('access-control-allow-origin'), null, 'an explicit list replaces the redirect-URI origins');
  const stranger = await tokenCall('https://evil.example');
  assert.equal(stranger.headers.get('access-control-allow-origin'), null);
  await assert.rejects(
    server.gatehouse.services.clients.create({
      name: 'Bad',
      type: 'public',
      grantTypes: ['authorization_code'],
      redirectUris: ['https://app.example.test/callback'],
      allowedCorsOrigins: ['https://app.example.test/path'],
    }),
    { code: 'validation_failed' },
  );
});

test('a per-client access-token lifetime shortens the API one; update keeps the secret', async () => {
  const api = await createApi(server, ['read']);
  const client = await createMachineClient(server, api);
  const { clients } = server.gatehouse.services;
  const current = await clients.find(client.clientId);
  assert.ok(current);
  const { clientSecret } = await clients.update(client.clientId, {
    name: current.name,
    type: 'confidential',
    grantTypes: ['client_credentials'],
    resources: current.resources,
    scopes: current.scopes,
    accessTokenTtl: 120,
  });
  assert.equal(clientSecret, undefined, 'the existing secret is kept');
  const response = await clientCredentials(client, client.clientSecret);
  assert.equal(response.status, 200);
  assert.equal(response.body.expires_in, 120);
  await assert.rejects(clients.update('missing', { name: 'x', type: 'confidential', grantTypes: ['client_credentials'] }), { code: 'not_found' });
});
