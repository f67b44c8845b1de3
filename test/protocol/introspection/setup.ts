/**
 * Introspection by resource servers: an API with its own credentials, users' JWT and opaque
 * tokens for it, and introspection through openid-client (secret) or oauth4webapi
 * (private_key_jwt), the way a resource server would call it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import * as oidc from 'openid-client';
import { authorizationCodeFlow, createUser, createWebClient, discover } from '../../harness/fixtures.ts';
import type { TestServer } from '../../harness/server.ts';

export const SCOPES = ['orders:read', 'orders:write'];

export async function createApiWithScopes(server: TestServer, tag: string, format: 'jwt' | 'opaque' = 'jwt') {
  const identifier = `https://${tag}-${randomBytes(3).toString('hex')}.example.test`;
  await server.gatehouse.services.apis.create({
    identifier,
    name: `API ${tag}`,
    scopes: SCOPES.map((name) => ({ name, description: name })),
    accessTokenFormat: format,
  });
  return identifier;
}

/** The API's credentials, issued through the admin service as `gatehouse apis credentials` does. */
export async function secretCredentials(server: TestServer, api: string) {
  const issued = await server.gatehouse.services.apis.issueCredentials(api, { method: 'client_secret_basic' });
  assert.ok(issued.clientSecret);
  return { clientId: issued.clientId, clientSecret: issued.clientSecret };
}

/** RFC 7662 through openid-client, authenticated with a client id and secret (client_secret_post). */
export async function introspect(server: TestServer, caller: { clientId: string; clientSecret: string }, token: string, hint?: string) {
  const config = await discover(server, caller);
  return oidc.tokenIntrospection(config, token, hint ? { token_type_hint: hint } : {});
}

/** RFC 7662 through oauth4webapi with private_key_jwt. */
export async function introspectWithKey(server: TestServer, clientId: string, privateKey: oauth.CryptoKey, token: string) {
  const issuer = new URL(server.url);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true }));
  const client = { client_id: clientId };
  const response = await oauth.introspectionRequest(as, client, oauth.PrivateKeyJwt({ key: privateKey }), token, { [oauth.allowInsecureRequests]: true });
  return oauth.processIntrospectionResponse(as, client, response);
}

/** A user with an app that may get tokens for `apis` (authorization code flow through the real pages). */
export async function userWithApp(server: TestServer, apis: string[]) {
  const app = await createWebClient(server, { resources: apis, scopes: ['openid', 'offline_access', ...SCOPES] });
  const user = await createUser(server);
  async function tokensFor(api: string, scope = SCOPES.join(' ')) {
    const config = await discover(server, app);
    const { tokens } = await authorizationCodeFlow(server, config, user, { scope: `openid offline_access ${scope}`, resource: api }, { resource: api });
    return tokens;
  }
  return { app, user, tokensFor };
}
