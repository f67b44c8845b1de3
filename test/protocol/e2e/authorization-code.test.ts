import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import {
  authorizationCodeFlow,
  createApi,
  createMachineClient,
  createUser,
  createWebClient,
  discover,
  POST_LOGOUT_URI,
  tokenRequest,
} from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

test('a web app signs a user in with code + PKCE, refreshes, revokes and logs out (openid-client)', async () => {
  const user = await createUser(server);
  const client = await createWebClient(server);
  const config = await discover(server, client);
  const jwks = createRemoteJWKSet(new URL(`${server.url}/jwks`));

  const { tokens, callback } = await authorizationCodeFlow(server, config, user);
  assert.equal(callback.searchParams.get('iss'), server.url, 'RFC 9207 iss in the authorization response');

  // ID token verified against the published JWKS alone.
  const idToken = await jwtVerify(tokens.id_token!, jwks, { issuer: server.url, audience: client.clientId });
  assert.equal(idToken.payload.sub, user.id);
  assert.equal(idToken.protectedHeader.alg, 'RS256');
  assert.ok(idToken.protectedHeader.kid);
  assert.ok(tokens.refresh_token, 'offline_access yields a refresh token');

  const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, idToken.payload.sub!);
  assert.equal(userinfo.email, user.email);
  assert.equal(userinfo.email_verified, true);

  const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
  assert.ok(refreshed.refresh_token);
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token, 'the refresh token rotates');
  assert.ok(refreshed.access_token);

  await oidc.tokenRevocation(config, refreshed.refresh_token!);
  const introspection = await oidc.tokenIntrospection(config, refreshed.refresh_token!);
  assert.equal(introspection.active, false, 'a revoked refresh token introspects inactive');
  await assert.rejects(oidc.refreshTokenGrant(config, refreshed.refresh_token!), { error: 'invalid_grant' });

  const logoutUrl = oidc.buildEndSessionUrl(config, {
    id_token_hint: refreshed.id_token ?? tokens.id_token!,
    post_logout_redirect_uri: POST_LOGOUT_URI,
    state: 'bye',
  });
  // The browser that signed in is asked to confirm; a hint from the same session is accepted.
  const { browser } = await authorizationCodeFlow(server, config, user);
  const confirm = await browser.follow(logoutUrl, server.url);
  const html = await confirm.response!.text();
  assert.match(html, /Sign out/);
  const done = await browser.submitForm({ url: server.url, html }, /\/session\/end\/confirm$/, { logout: 'yes' }, server.url);
  assert.equal(done.leftTo?.origin + (done.leftTo?.pathname ?? ''), POST_LOGOUT_URI);
  assert.equal(done.leftTo?.searchParams.get('state'), 'bye');
});

test('a machine client gets an RFC 9068 access token for its API, verifiable with the JWKS alone', async () => {
  const api = await createApi(server);
  const client = await createMachineClient(server, api);
  const response = await tokenRequest(server, { grant_type: 'client_credentials', scope: 'read' }, { id: client.clientId, secret: client.clientSecret });
  assert.equal(response.status, 200);
  const accessToken = String(response.body.access_token);
  const header = decodeProtectedHeader(accessToken);
  assert.equal(header.typ, 'at+jwt');
  assert.equal(header.alg, 'RS256');
  const { payload } = await jwtVerify(accessToken, createRemoteJWKSet(new URL(`${server.url}/jwks`)), {
    issuer: server.url,
    audience: api,
    typ: 'at+jwt',
  });
  assert.equal(payload.aud, api, 'exactly one audience');
  assert.equal(payload.client_id, client.clientId);
  assert.equal(payload.scope, 'read');
  assert.equal(response.body.expires_in, 900, 'default access-token lifetime is 15 minutes');
});
