import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createApi, createMachineClient } from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';

let server: TestServer;
before(async () => {
  server = await startServer({ env: { GATEHOUSE_TRUST_PROXY: 'true' } });
});
after(() => server.close());

const token = (client: { clientId: string; clientSecret: string }, ip: string) =>
  fetch(`${server.url}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      'x-forwarded-for': ip,
    },
    body: 'grant_type=client_credentials',
  });

test('the 6th failed client authentication from one IP within a minute is a 429 with Retry-After; others are unaffected', async () => {
  const api = await createApi(server);
  const victim = await createMachineClient(server, api);
  const bystander = await createMachineClient(server, api);
  const guesses = Array.from({ length: 5 }, (_, i) => token({ clientId: victim.clientId, clientSecret: `guess-${i}` }, '203.0.113.5'));
  for (const response of await Promise.all(guesses)) assert.equal(response.status, 401);

  const sixth = await token({ clientId: victim.clientId, clientSecret: 'guess-6' }, '203.0.113.5');
  assert.equal(sixth.status, 429);
  const retryAfter = Number(sixth.headers.get('retry-after'));
  assert.ok(retryAfter >= 1 && retryAfter <= 60);
  assert.deepEqual(Object.keys((await sixth.json()) as object).sort(), ['error', 'error_description']);
  assert.equal((await token(victim, '203.0.113.5')).status, 429, 'even the right secret waits: the IP is throttled');

  assert.equal((await token(bystander, '198.51.100.9')).status, 200, 'another client from another IP is unaffected');
  assert.equal((await token(victim, '198.51.100.10')).status, 200, 'the attacked client itself still works from elsewhere');

  await server.gatehouse.services.audit.flush();
  const failures = await server.gatehouse.services.audit.query({ type: 'client_auth.failure', limit: 50 });
  assert.ok(failures.filter((e) => e.actor === victim.clientId).length >= 5);
  assert.ok(!server.rawLogs().includes('guess-3'), 'guessed secrets are never logged');
});
