import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createApi, createMachineClient } from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';

let server: TestServer;
before(async () => {
  server = await startServer({ env: { GATEHOUSE_TRUST_PROXY: 'true' } });
});
after(() => server.close());

const post = (path: string, client: { clientId: string; clientSecret: string }, ip: string, body: string) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      'x-forwarded-for': ip,
    },
    body,
  });

const token = (client: { clientId: string; clientSecret: string }, ip: string) => post('/token', client, ip, 'grant_type=client_credentials');

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
  assert.equal(sixth.headers.get('cache-control'), 'no-store');
  const refusal = (await sixth.json()) as Record<string, string>;
  assert.deepEqual(Object.keys(refusal).sort(), ['error', 'error_description']);
  assert.equal(refusal.error, 'too_many_requests', 'the OAuth spelling clients and libraries expect');
  assert.equal((await token(victim, '203.0.113.5')).status, 429, 'even the right secret waits: the IP is throttled');

  assert.equal((await token(bystander, '198.51.100.9')).status, 200, 'another client from another IP is unaffected');
  assert.equal((await token(victim, '198.51.100.10')).status, 200, 'the attacked client itself still works from elsewhere');

  await server.gatehouse.services.audit.flush();
  const failures = await server.gatehouse.services.audit.query({ type: 'client_auth.failure', limit: 50 });
  assert.ok(failures.filter((e) => e.actor === victim.clientId).length >= 5);
  assert.ok(!server.rawLogs().includes('guess-3'), 'guessed secrets are never logged');
});

async function failuresAuditedFor(clientId: string): Promise<number> {
  await server.gatehouse.services.audit.flush();
  const failures = await server.gatehouse.services.audit.query({ type: 'client_auth.failure', limit: 500 });
  return failures.filter((event) => event.actor === clientId).length;
}

test('no spelling of a client-authenticated path escapes the limits: /TOKEN, /Token/, /token/ and the like give no token and no unthrottled guesses', async () => {
  const api = await createApi(server);
  const victim = await createMachineClient(server, api);
  const spellings = [
    ['/TOKEN', 'grant_type=client_credentials'],
    ['/Token/', 'grant_type=client_credentials'],
    ['/token/', 'grant_type=client_credentials'],
    ['/token/Introspection', 'token=whatever'],
    ['/TOKEN/revocation/', 'token=whatever'],
    ['/Request', 'response_type=code&scope=openid'],
  ] as const;
  let failedAuthentications = 0;
  for (const [index, [path, body]] of spellings.entries()) {
    const ip = `203.0.113.${100 + index}`;
    const statuses: number[] = [];
    for (let guess = 0; guess < 7; guess += 1) {
      statuses.push((await post(path, { clientId: victim.clientId, clientSecret: `guess-${guess}` }, ip, body)).status);
    }
    const unthrottled = statuses.filter((status) => status === 401).length;
    failedAuthentications += unthrottled;
    assert.ok(unthrottled <= 5, `${path}: at most 5 failed authentications per minute from one IP (got ${statuses.join(',')})`);
    assert.ok(statuses.slice(5).every((status) => status === 404 || status === 429), `${path}: the 6th and 7th guesses are refused (got ${statuses.join(',')})`);
    const withSecret = await post(path, victim, `198.51.100.${100 + index}`, body);
    assert.equal(withSecret.status, 404);
    assert.match(withSecret.headers.get('content-type') ?? '', /^application\/json/, `${path}: a protocol endpoint refuses in OAuth JSON, whichever group the spelling reached`);
    const answer = (await withSecret.json()) as Record<string, unknown>;
    assert.equal(answer.access_token, undefined, `${path}: the right secret gets no token on this spelling (${withSecret.status})`);
  }
  assert.equal(await failuresAuditedFor(victim.clientId), failedAuthentications, 'every failed authentication is in the audit trail');
});

test('pushed authorization requests (/request) authenticate the client under the same limit and audit trail as /token', async () => {
  const api = await createApi(server);
  const victim = await createMachineClient(server, api);
  const statuses: number[] = [];
  for (let guess = 0; guess < 6; guess += 1) {
    statuses.push((await post('/request', { clientId: victim.clientId, clientSecret: `guess-${guess}` }, '203.0.113.120', 'response_type=code&scope=openid')).status);
  }
  assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429]);
  assert.equal(await failuresAuditedFor(victim.clientId), 5, 'each failed authentication at /request is audited');
});
