import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createAccessTokenVerifier } from 'gatehouse/verify';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createApi, tokenRequest } from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

test('private_key_jwt with an inline JWKS: no shared secret; the token is accepted for its API and refused for another; it carries the client’s roles and no PII', async () => {
  const apiX = await createApi(server, ['read'], { claims: ['roles', 'groups', 'org_id'] });
  const apiY = await createApi(server, ['read']);
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'svc-1', use: 'sig', alg: 'ES256' };
  const { client, clientSecret } = await server.gatehouse.services.clients.create({
    name: 'Key-authenticated service',
    type: 'confidential',
    grantTypes: ['client_credentials'],
    tokenEndpointAuthMethod: 'private_key_jwt',
    jwks: { keys: [jwk] },
    resources: [apiX],
    scopes: ['read'],
  });
  assert.equal(clientSecret, undefined, 'no secret is minted for a key-authenticated client');
  const { rbac } = server.gatehouse.services;
  await rbac.createRole({ name: `ledger-writer-${client.clientId}`, api: apiX });
  await rbac.createRole({ name: `service-${client.clientId}` });
  await rbac.grant(`ledger-writer-${client.clientId}`, { kind: 'client', id: client.clientId });
  await rbac.grant(`service-${client.clientId}`, { kind: 'client', id: client.clientId });

  const assertion = (overrides: { aud?: string; key?: Parameters<SignJWT["sign"]>[0] } = {}) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'svc-1' })
      .setIssuer(client.clientId)
      .setSubject(client.clientId)
      .setAudience(overrides.aud ?? server.url)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(overrides.key ?? privateKey);
  const request = async (jwt: string) =>
    tokenRequest(server, {
      grant_type: 'client_credentials',
      scope: 'read',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: jwt,
    });

  const response = await request(await assertion());
  assert.equal(response.status, 200, JSON.stringify(response.body));
  const token = String(response.body.access_token);

  const forX = createAccessTokenVerifier({ issuer: server.url, audience: apiX });
  const verified = await forX.verify(token, { scopes: ['read'] });
  assert.equal(verified.clientId, client.clientId);
  assert.deepEqual(new Set(verified.claims.roles as string[]), new Set([`ledger-writer-${client.clientId}`, `service-${client.clientId}`]));
  const pii = ['email', 'email_verified', 'name', 'given_name', 'family_name', 'phone_number', 'address', 'preferred_username', 'birthdate'];
  assert.deepEqual(Object.keys(verified.claims).filter((claim) => pii.includes(claim)), [], 'no personal data in the access token');
  assert.deepEqual(
    Object.keys(verified.claims).sort(),
    ['aud', 'client_id', 'exp', 'groups', 'iat', 'iss', 'jti', 'roles', 'scope', 'sub'],
    'exactly the standard claims plus the API’s configured ones (org_id only when set)',
  );
  assert.deepEqual(verified.claims.groups, [], 'a client is in no group; the claim is present and empty');
  const forY = createAccessTokenVerifier({ issuer: server.url, audience: apiY });
  await assert.rejects(forY.verify(token), { code: 'invalid_token' });

  // A replayed assertion, one signed by another key, or one for another audience are refused.
  const once = await assertion();
  assert.equal((await request(once)).status, 200);
  assert.equal((await request(once)).body.error, 'invalid_client');
  const stranger = await generateKeyPair('ES256');
  assert.equal((await request(await assertion({ key: stranger.privateKey }))).body.error, 'invalid_client');
  assert.equal((await request(await assertion({ aud: 'https://elsewhere.example' }))).body.error, 'invalid_client');
});

test('an inline JWKS with a private key member is refused at registration', async () => {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  await assert.rejects(
    server.gatehouse.services.clients.create({
      name: 'Leaky',
      type: 'confidential',
      grantTypes: ['client_credentials'],
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwks: { keys: [await exportJWK(privateKey)] },
    }),
    { code: 'validation_failed' },
  );
});
