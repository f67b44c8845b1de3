/**
 * RFC 7662 introspection for resource servers (issue 16 §1) and by token shape (issue 17.2), over
 * HTTP with openid-client and oauth4webapi: an API introspects every token for itself, JWT or
 * opaque, and learns nothing about anything else; a revoked JWT answers active:false at once.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { ADMIN_READ_SCOPE, ADMIN_WRITE_SCOPE } from '../../../src/admin/index.ts';
import { adminToken, openAdminApi } from '../../harness/admin-api.ts';
import { createMachineClient, tokenRequest } from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';
import { createApiWithScopes, introspect, introspectWithKey, SCOPES, secretCredentials, userWithApp } from './setup.ts';

let server: TestServer;
let orders: string;
let billing: string;
let ordersCredentials: { clientId: string; clientSecret: string };
let people: Awaited<ReturnType<typeof userWithApp>>;
before(async () => {
  server = await startServer();
  orders = await createApiWithScopes(server, 'orders');
  billing = await createApiWithScopes(server, 'billing');
  ordersCredentials = await secretCredentials(server, orders);
  people = await userWithApp(server, [orders, billing]);
});
after(() => server.close());

const rawIntrospection = async (caller: { clientId: string; clientSecret: string }, body: Record<string, string>) => {
  const response = await fetch(`${server.url}/token/introspection`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(caller.clientId)}:${encodeURIComponent(caller.clientSecret)}`).toString('base64')}`,
    },
    body: new URLSearchParams(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
};

test('an API introspects a user’s JWT access token for it: active with the RFC 7662 fields', async () => {
  const tokens = await people.tokensFor(orders);
  const claims = decodeJwt(tokens.access_token);
  assert.equal(decodeProtectedHeader(tokens.access_token).typ, 'at+jwt');
  const answer = await introspect(server, ordersCredentials, tokens.access_token);
  assert.equal(answer.active, true);
  assert.equal(answer.sub, people.user.id);
  assert.equal(answer.client_id, people.app.clientId);
  assert.equal(answer.aud, orders);
  assert.equal(answer.iss, server.url);
  assert.equal(answer.scope, SCOPES.join(' '));
  assert.equal(answer.token_type, 'Bearer');
  assert.equal(answer.exp, claims.exp);
  assert.equal(answer.iat, claims.iat);
  assert.equal(answer.jti, claims.jti);
  assert.equal(answer.grant_id, undefined, 'the grant reference is not described');
});

test('an API learns nothing about tokens for another API, refresh tokens, or garbage (active:false, never an error)', async () => {
  const forBilling = await people.tokensFor(billing);
  for (const token of [forBilling.access_token, forBilling.refresh_token!, 'garbage', 'a.b.c', `${forBilling.access_token}x`, 'x'.repeat(20_000)]) {
    const answer = await rawIntrospection(ordersCredentials, { token });
    assert.equal(answer.status, 200, token.slice(0, 30));
    assert.deepEqual(answer.body, { active: false }, token.slice(0, 30));
  }
  const missing = await rawIntrospection(ordersCredentials, {});
  assert.deepEqual([missing.status, missing.body.error], [400, 'invalid_request'], 'no token at all is a clear 400');
});

test('attack: an API with credentials cannot learn about another API’s tokens, nor use its credentials as a client', async () => {
  const billingCredentials = await secretCredentials(server, billing);
  const forOrders = await people.tokensFor(orders);
  const asBilling = await introspect(server, billingCredentials, forOrders.access_token);
  assert.deepEqual(asBilling, { active: false }, 'billing sees nothing of orders’ tokens');
  const opaqueApi = await createApiWithScopes(server, 'opaque-orders', 'opaque');
  const opaqueApp = await userWithApp(server, [opaqueApi]);
  const opaque = await opaqueApp.tokensFor(opaqueApi);
  assert.deepEqual(await introspect(server, billingCredentials, opaque.access_token), { active: false }, 'nor of an opaque one');
  assert.deepEqual(await introspect(server, billingCredentials, opaque.refresh_token!, 'refresh_token'), { active: false }, 'nor of a refresh token');

  // The credentials authenticate nowhere else: no grant works, and the old secret dies with a new one.
  const grant = await tokenRequest(server, { grant_type: 'client_credentials', resource: billing }, { id: billingCredentials.clientId, secret: billingCredentials.clientSecret });
  assert.equal(grant.status, 400);
  assert.match(String(grant.body.error), /unauthorized_client|invalid_grant|unsupported_grant_type/);
  const replaced = await secretCredentials(server, billing);
  const old = await rawIntrospection(billingCredentials, { token: forOrders.access_token });
  assert.deepEqual([old.status, old.body.error], [401, 'invalid_client'], 'replaced credentials stop working');
  assert.equal((await introspect(server, replaced, forOrders.access_token)).active, false);
  const wrongSecret = await rawIntrospection({ clientId: replaced.clientId, clientSecret: 'guess' }, { token: forOrders.access_token });
  assert.deepEqual([wrongSecret.status, wrongSecret.body.error], [401, 'invalid_client']);
});

test('opaque tokens: the API introspects access tokens for it; hints are honoured and wrong hints still answered', async () => {
  const opaqueApi = await createApiWithScopes(server, 'opaque', 'opaque');
  const credentials = await secretCredentials(server, opaqueApi);
  const app = await userWithApp(server, [opaqueApi]);
  const tokens = await app.tokensFor(opaqueApi);
  assert.equal(tokens.access_token.split('.').length, 1, 'an opaque access token');
  for (const hint of [undefined, 'access_token', 'refresh_token', 'urn:ietf:params:oauth:token-type:access_token', 'bogus_hint']) {
    const answer = await introspect(server, credentials, tokens.access_token, hint);
    assert.equal(answer.active, true, `hint ${hint}`);
    assert.equal(answer.aud, opaqueApi);
    assert.equal(answer.sub, app.user.id);
    assert.equal(answer.token_type, 'Bearer');
  }
  // The client introspects its own refresh token whatever the hint says.
  for (const hint of [undefined, 'refresh_token', 'access_token']) {
    const answer = await introspect(server, app.app, tokens.refresh_token!, hint);
    assert.equal(answer.active, true, `refresh token, hint ${hint}`);
    assert.equal(answer.client_id, app.app.clientId);
    assert.equal(answer.token_type, undefined);
  }
  assert.ok(tokens.refresh_token!.length > tokens.access_token.length, 'refresh tokens are longer: their shape says where to look');
  // A service's opaque client-credentials token, with no hint, the right one and a wrong one.
  const machine = await createMachineClient(server, opaqueApi, ['orders:read']);
  const issued = await tokenRequest(server, { grant_type: 'client_credentials', scope: 'orders:read' }, { id: machine.clientId, secret: machine.clientSecret });
  const serviceToken = String(issued.body.access_token);
  assert.equal(serviceToken.split('.').length, 1);
  for (const hint of [undefined, 'access_token', 'refresh_token']) {
    const answer = await introspect(server, credentials, serviceToken, hint);
    assert.deepEqual([answer.active, answer.sub, answer.client_id, answer.scope], [true, machine.clientId, machine.clientId, 'orders:read'], `hint ${hint}`);
  }
});

test('a client keeps introspecting its own tokens, JWT included, and nobody else’s', async () => {
  const tokens = await people.tokensFor(orders);
  const own = await introspect(server, people.app, tokens.access_token);
  assert.equal(own.active, true);
  assert.equal(own.client_id, people.app.clientId);
  const other = await userWithApp(server, [orders]);
  assert.deepEqual(await introspect(server, other.app, tokens.access_token), { active: false });
  assert.deepEqual(await introspect(server, other.app, tokens.refresh_token!), { active: false });

  const machine = await createMachineClient(server, orders, ['orders:read']);
  const serviceToken = String(
    (await tokenRequest(server, { grant_type: 'client_credentials', scope: 'orders:read' }, { id: machine.clientId, secret: machine.clientSecret })).body.access_token,
  );
  const byApi = await introspect(server, ordersCredentials, serviceToken);
  assert.equal(byApi.active, true, 'the API sees a service’s client-credentials token for it');
  assert.equal(byApi.sub, machine.clientId);
  await server.gatehouse.services.clients.delete(machine.clientId);
  assert.deepEqual(await introspect(server, ordersCredentials, serviceToken), { active: false }, 'gone with its client');
});

test('private_key_jwt credentials (oauth4webapi) and credentials made through the admin API', async () => {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const admin = await openAdminApi(server);
  const writer = await adminToken(server, [ADMIN_READ_SCOPE, ADMIN_WRITE_SCOPE]);
  const issued = await admin.call('POST', `/apis/${encodeURIComponent(orders)}/credentials`, {
    token: writer,
    body: { method: 'private_key_jwt', jwks: { keys: [{ ...(await exportJWK(publicKey)), alg: 'ES256', use: 'sig' }] } },
  });
  assert.equal(issued.status, 201, JSON.stringify(issued.body));
  const { clientId, clientSecret } = issued.body as { clientId: string; clientSecret?: string };
  assert.equal(clientSecret, undefined, 'no secret for private_key_jwt');
  const tokens = await people.tokensFor(orders);
  const answer = await introspectWithKey(server, clientId, privateKey, tokens.access_token);
  assert.equal(answer.active, true);
  assert.equal(answer.aud, orders);
  const shown = await admin.call('GET', `/apis/${encodeURIComponent(orders)}`, { token: writer });
  assert.deepEqual((shown.body as { introspection: unknown }).introspection, { clientId, method: 'private_key_jwt' }, 'no secret or digest shown');
  const bad = await admin.call('POST', `/apis/${encodeURIComponent(orders)}/credentials`, { token: writer, body: { method: 'private_key_jwt' } });
  assert.equal(bad.status, 400, 'private_key_jwt without keys is a clear 400');
  for (const body of [{ method: 'private_key_jwt', jwks: { keys: [] } }, { method: 'private_key_jwt', jwks: { keys: [{ kty: 'RSA', n: 'x', e: 'AQAB', d: 'secret' }] } }, { method: 'private_key_jwt', jwksUri: 'not a url' }]) {
    const refused = await admin.call('POST', `/apis/${encodeURIComponent(orders)}/credentials`, { token: writer, body });
    assert.equal(refused.status, 400, JSON.stringify(body));
  }
  const stillWorks = await introspectWithKey(server, clientId, privateKey, tokens.access_token);
  assert.equal(stillWorks.active, true, 'refused input changed nothing');
  // Keys oidc-provider accepts but cannot use: the caller is refused as a client, never a 500.
  const unusable = await server.gatehouse.services.apis.issueCredentials(billing, { method: 'private_key_jwt', jwks: { keys: [{ kty: 'bogus' }] } });
  await assert.rejects(introspectWithKey(server, unusable.clientId, privateKey, tokens.access_token), (error: Error & { status?: number; error?: string }) => {
    assert.equal(error.status, 401, String(error));
    return true;
  });
  const unknown = await admin.call('POST', `/apis/${encodeURIComponent('https://nope.example.test')}/credentials`, { token: writer, body: {} });
  assert.equal(unknown.status, 404);
  ordersCredentials = await secretCredentials(server, orders);
});

test('revoked JWT access tokens answer active:false at once: grant revoked, signed out everywhere', async () => {
  const first = await people.tokensFor(orders);
  assert.equal((await introspect(server, ordersCredentials, first.access_token)).active, true);
  const apps = await server.gatehouse.services.sessions.listApps(people.user.id);
  const app = apps.find((candidate) => candidate.clientId === people.app.clientId);
  assert.ok(app);
  assert.ok(await server.gatehouse.services.sessions.revokeApp(people.user.id, app.grantId));
  assert.deepEqual(await introspect(server, ordersCredentials, first.access_token), { active: false }, 'after the grant is revoked');
  assert.deepEqual(await introspect(server, people.app, first.access_token), { active: false }, 'for its client too');

  const second = await people.tokensFor(orders);
  assert.equal((await introspect(server, ordersCredentials, second.access_token)).active, true);
  await server.gatehouse.services.sessions.logoutEverywhere(people.user.id);
  assert.deepEqual(await introspect(server, ordersCredentials, second.access_token), { active: false }, 'after signing out everywhere');
});

test('discovery lists the introspection endpoint and its authentication methods', async () => {
  const metadata = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
  assert.equal(metadata.introspection_endpoint, `${server.url}/token/introspection`);
  for (const method of ['client_secret_basic', 'client_secret_post', 'private_key_jwt']) {
    assert.ok((metadata.introspection_endpoint_auth_methods_supported as string[]).includes(method), method);
  }
});

test('RFC 9701: asked with Accept: application/token-introspection+jwt, the API gets a signed answer', async () => {
  const tokens = await people.tokensFor(orders);
  const response = await fetch(`${server.url}/token/introspection`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/token-introspection+jwt',
      authorization: `Basic ${Buffer.from(`${ordersCredentials.clientId}:${ordersCredentials.clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ token: tokens.access_token }),
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^application\/token-introspection\+jwt/);
  const { payload, protectedHeader } = await jwtVerify(await response.text(), createRemoteJWKSet(new URL(`${server.url}/jwks`)), {
    issuer: server.url,
    typ: 'token-introspection+jwt',
  });
  assert.equal(protectedHeader.alg, 'RS256');
  const described = payload.token_introspection as Record<string, unknown>;
  assert.equal(described.active, true);
  assert.equal(described.aud, orders);
  assert.equal(described.sub, people.user.id);
  const plain = await rawIntrospection(ordersCredentials, { token: tokens.access_token });
  assert.match(plain.headers.get('content-type') ?? '', /^application\/json/, 'JSON unless asked');
});

// Last: revoking a signing key changes the key set for every later test.
test('a token signed by a revoked key answers active:false', async () => {
  const tokens = await people.tokensFor(orders);
  assert.equal((await introspect(server, ordersCredentials, tokens.access_token)).active, true);
  const kid = decodeProtectedHeader(tokens.access_token).kid!;
  assert.ok(await server.gatehouse.services.keys.revoke(kid));
  await server.gatehouse.jobs.runOnce('keys.refresh');
  assert.deepEqual(await introspect(server, ordersCredentials, tokens.access_token), { active: false });
});
