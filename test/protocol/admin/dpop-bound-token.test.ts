/**
 * A DPoP-bound admin token (cnf.jkt) is worth nothing without its key: stolen from a log or a
 * proxy and replayed as a plain bearer token, the admin API refuses it (RFC 9449 §7.1 — a
 * resource server must not downgrade a bound token to bearer).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodeJwt } from 'jose';
import { adminAudience } from '../../../src/admin/auth.ts';
import { startServer, type TestServer } from '../../harness/server.ts';
import { dpopKey } from '../dpop/proofs.ts';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

async function adminClientToken(dpop?: Awaited<ReturnType<typeof dpopKey>>) {
  const { client, clientSecret } = await server.gatehouse.services.clients.create({
    name: 'admin automation',
    type: 'confidential',
    grantTypes: ['client_credentials'],
    resources: [adminAudience(server.url)],
    scopes: ['admin:read'],
  });
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(clientSecret ?? '')}`).toString('base64')}`,
  };
  if (dpop) headers.dpop = await dpop.proof({ htm: 'POST', htu: `${server.url}/token` });
  const response = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers,
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: adminAudience(server.url), scope: 'admin:read' }),
  });
  const body = (await response.json()) as { access_token: string; token_type: string };
  assert.equal(response.status, 200, JSON.stringify(body));
  return body;
}

const listUsers = (authorization: string) => fetch(`${server.url}/admin/v1/users`, { headers: { authorization } });

test('a stolen DPoP-bound admin token replayed as a bearer token is refused (401), naming why', async () => {
  const stolen = await adminClientToken(await dpopKey());
  assert.equal(stolen.token_type.toLowerCase(), 'dpop');
  assert.ok((decodeJwt(stolen.access_token).cnf as { jkt?: string } | undefined)?.jkt, 'the token is bound to the client key');

  const response = await listUsers(`Bearer ${stolen.access_token}`);
  assert.equal(response.status, 401);
  const problem = (await response.json()) as { detail?: string };
  assert.match(problem.detail ?? '', /bound to a key/);
});

test('an unbound admin token still works as a bearer token', async () => {
  const token = await adminClientToken();
  assert.equal((await listUsers(`Bearer ${token.access_token}`)).status, 200);
});
