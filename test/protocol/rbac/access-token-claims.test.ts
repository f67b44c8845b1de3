/**
 * Issue #8 acceptance: access tokens for an API carry the roles, groups and org the API asked
 * for — global roles plus that API's roles, held directly or through groups — and never PII,
 * whatever profile scopes the user granted.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createRemoteJWKSet, decodeJwt, type JWTPayload, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { ACCESS_TOKEN_PII_CLAIMS } from '../../../src/config.ts';
import { authorizationCodeFlow, createApi, createMachineClient, createUser, createWebClient, discover, tokenRequest } from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';

let server: TestServer;
let jwks: ReturnType<typeof createRemoteJWKSet>;
const tag = () => randomBytes(3).toString('hex');

before(async () => {
  server = await startServer();
  jwks = createRemoteJWKSet(new URL(`${server.url}/jwks`));
});
after(() => server.close());

const assertNoPii = (payload: JWTPayload) => {
  const leaked = Object.keys(payload).filter((claim) => ACCESS_TOKEN_PII_CLAIMS.has(claim));
  assert.deepEqual(leaked, [], 'no personal data in the access token');
};

async function verifiedFor(token: string, audience: string) {
  const { payload } = await jwtVerify(token, jwks, { issuer: server.url, audience, typ: 'at+jwt' });
  assert.equal(payload.aud, audience, 'exactly one aud, as a string');
  return payload;
}

async function machineToken(client: { clientId: string; clientSecret: string }) {
  const response = await tokenRequest(server, { grant_type: 'client_credentials', scope: 'read' }, { id: client.clientId, secret: client.clientSecret });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return String(response.body.access_token);
}

test('a user signing in for API X gets global + X roles (direct and via a group), groups and org_id, and no PII even with email and profile granted; for API Y, not X’s roles', async () => {
  const { rbac } = server.gatehouse.services;
  const claims = ['roles', 'groups', 'org_id'];
  const apiX = await createApi(server, ['read'], { claims });
  const apiY = await createApi(server, ['read'], { claims });
  const t = tag();
  await rbac.createRole({ name: `employee-${t}`, description: 'Staff' });
  await rbac.createRole({ name: `orders-admin-${t}`, api: apiX });
  await rbac.createRole({ name: `billing-viewer-${t}`, api: apiY });
  await rbac.createGroup({ name: `staff-${t}` });
  await rbac.grant(`orders-admin-${t}`, { kind: 'group', id: `staff-${t}` });

  const user = await createUser(server);
  await rbac.grant(`employee-${t}`, { kind: 'user', id: user.id });
  await rbac.grant(`billing-viewer-${t}`, { kind: 'user', id: user.id });
  await rbac.addMember(`staff-${t}`, user.id);
  await rbac.setOrgId({ kind: 'user', id: user.id }, 'org-42');

  const client = await createWebClient(server, { resources: [apiX, apiY], scopes: ['openid', 'email', 'profile', 'offline_access', 'read'] });
  const config = await discover(server, client);
  const signIn = (api: string) =>
    authorizationCodeFlow(server, config, user, { scope: 'openid email profile offline_access read', resource: api }, { resource: api });

  const forX = await verifiedFor((await signIn(apiX)).tokens.access_token, apiX);
  assert.equal(forX.sub, user.id);
  assert.equal(forX.client_id, client.clientId);
  assert.equal(forX.scope, 'read');
  assert.deepEqual(forX.roles, [`employee-${t}`, `orders-admin-${t}`].sort());
  assert.deepEqual(forX.groups, [`staff-${t}`]);
  assert.equal(forX.org_id, 'org-42');
  assertNoPii(forX);

  const { tokens } = await signIn(apiY);
  const forY = await verifiedFor(tokens.access_token, apiY);
  assert.deepEqual(forY.roles, [`billing-viewer-${t}`, `employee-${t}`].sort(), 'X’s roles stay out of Y’s tokens');
  assertNoPii(forY);
  // A refreshed token for the same API follows the same rules.
  const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!, { resource: apiY });
  const refreshedPayload = await verifiedFor(refreshed.access_token, apiY);
  assert.deepEqual(refreshedPayload.roles, forY.roles);
  assertNoPii(refreshedPayload);
});

test('profile and email claims are released in userinfo only for the scopes granted', async () => {
  const user = await createUser(server);
  const client = await createWebClient(server);
  const config = await discover(server, client);
  const full = await authorizationCodeFlow(server, config, user);
  const withScopes = await oidc.fetchUserInfo(config, full.tokens.access_token, user.id);
  assert.equal(withScopes.email, user.email);
  assert.equal(withScopes.name, 'Test User');
  const bare = await authorizationCodeFlow(server, config, user, { scope: 'openid' });
  const withoutScopes = await oidc.fetchUserInfo(config, bare.tokens.access_token, user.id);
  assert.equal(withoutScopes.sub, user.id);
  assert.equal(withoutScopes.email, undefined);
  assert.equal(withoutScopes.name, undefined);
  assertNoPii(decodeJwt(full.tokens.id_token!));
});

test('a client-credentials token carries the client’s roles and org; a revoked role is gone from the next token; no database round trip per token once warm', async () => {
  const { rbac } = server.gatehouse.services;
  const api = await createApi(server, ['read'], { claims: ['roles', 'org_id'] });
  const other = await createApi(server, ['read']);
  const t = tag();
  await rbac.createRole({ name: `service-${t}` });
  await rbac.createRole({ name: `orders-writer-${t}`, api });
  await rbac.createRole({ name: `other-${t}`, api: other });
  const client = await createMachineClient(server, api);
  for (const role of [`service-${t}`, `orders-writer-${t}`, `other-${t}`]) await rbac.grant(role, { kind: 'client', id: client.clientId });
  await rbac.setOrgId({ kind: 'client', id: client.clientId }, 'org-7');

  const queries: string[] = [];
  const onQuery = (query: { sql: string }) => queries.push(query.sql);
  const rbacQueries = () => queries.filter((sql) => /roles|org_id/.test(sql));
  server.gatehouse.storage.db.on('query', onQuery);
  let first: JWTPayload;
  try {
    first = await verifiedFor(await machineToken(client), api);
    assert.ok(rbacQueries().length > 0, 'the first token loads the client’s roles');
    queries.length = 0;
    for (let i = 0; i < 3; i += 1) await machineToken(client);
  } finally {
    server.gatehouse.storage.db.off('query', onQuery);
  }
  assert.deepEqual(rbacQueries(), [], 'later tokens take roles and org from the cache');
  assert.equal(first.sub, client.clientId);
  assert.deepEqual(first.roles, [`orders-writer-${t}`, `service-${t}`].sort());
  assert.equal(first.org_id, 'org-7');
  assert.equal(first.groups, undefined, 'the API did not ask for groups');

  await rbac.revoke(`orders-writer-${t}`, { kind: 'client', id: client.clientId });
  const after = await verifiedFor(await machineToken(client), api);
  assert.deepEqual(after.roles, [`service-${t}`], 'the revoked role is gone at once on this instance');
});

test('an API that lists no claims gets tokens without roles, groups or org_id', async () => {
  const { rbac } = server.gatehouse.services;
  const api = await createApi(server, ['read'], { claims: [] });
  const t = tag();
  await rbac.createRole({ name: `plain-${t}` });
  const client = await createMachineClient(server, api);
  await rbac.grant(`plain-${t}`, { kind: 'client', id: client.clientId });
  await rbac.setOrgId({ kind: 'client', id: client.clientId }, 'org-1');
  const payload = await verifiedFor(await machineToken(client), api);
  assert.deepEqual(
    Object.keys(payload).sort(),
    ['aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'scope', 'sub'],
    'only the RFC 9068 claims',
  );
});

test('an API may sign its tokens with ES256 when that algorithm is enabled', async () => {
  const es = await startServer({ env: { GATEHOUSE_SIGNING_ALGS: 'RS256,ES256' } });
  try {
    const identifier = `https://es-${tag()}.example.test`;
    await es.gatehouse.services.apis.create({ identifier, name: 'ES API', scopes: [{ name: 'read', description: 'read' }], signingAlg: 'ES256' });
    const client = await createMachineClient(es, identifier);
    const response = await tokenRequest(es, { grant_type: 'client_credentials', scope: 'read' }, { id: client.clientId, secret: client.clientSecret });
    const { protectedHeader } = await jwtVerify(String(response.body.access_token), createRemoteJWKSet(new URL(`${es.url}/jwks`)), {
      issuer: es.url,
      audience: identifier,
    });
    assert.equal(protectedHeader.alg, 'ES256');
  } finally {
    await es.close();
  }
});
