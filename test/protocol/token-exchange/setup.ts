/**
 * The three-service chain: a user signs in to app A, which calls API B; service B (client
 * `b-service`) exchanges the user's token for one for API C; service C may pass it on to API D.
 * Every API shares the scope names `orders:read` / `orders:write`, so "never wider than the
 * subject token" can be asserted. Policies are set through the admin API (checked against its
 * OpenAPI document), as an operator would.
 */
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { ADMIN_READ_SCOPE, ADMIN_WRITE_SCOPE } from '../../../src/admin/index.ts';
import { TOKEN_EXCHANGE_GRANT } from '../../../src/clients/index.ts';
import { adminToken, openAdminApi } from '../../harness/admin-api.ts';
import { authorizationCodeFlow, createUser, createWebClient, discover } from '../../harness/fixtures.ts';
import type { TestServer } from '../../harness/server.ts';
import { createApiWithScopes as createChainApi, SCOPES } from '../introspection/setup.ts';

export const SUBJECT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
// The APIs of the chain are made as introspection's are: one helper, one scope list.
export { createChainApi, SCOPES };

/** A service that authenticates as a confidential client and may exchange tokens. */
export async function createService(server: TestServer, name: string, resources: string[], grantTypes: string[] = [TOKEN_EXCHANGE_GRANT]) {
  const { client, clientSecret } = await server.gatehouse.services.clients.create({
    name,
    type: 'confidential',
    grantTypes: grantTypes as never,
    resources,
    scopes: SCOPES,
  });
  return { clientId: client.clientId, clientSecret: clientSecret! };
}

export async function chainFixture(server: TestServer) {
  const admin = await openAdminApi(server);
  const writer = await adminToken(server, [ADMIN_READ_SCOPE, ADMIN_WRITE_SCOPE]);
  const [b, c, d] = [await createChainApi(server, 'b'), await createChainApi(server, 'c'), await createChainApi(server, 'd')];
  /** An API with no exchange policy at all. */
  const plain = await createChainApi(server, 'plain');
  const app = await createWebClient(server, { resources: [b, plain], scopes: ['openid', 'offline_access', ...SCOPES] });
  const bService = await createService(server, 'B service', [c, d]);
  const cService = await createService(server, 'C service', [d]);
  const user = await createUser(server);

  async function setPolicy(api: string, tokenExchange: unknown[]) {
    const response = await admin.call('PATCH', `/apis/${encodeURIComponent(api)}`, { token: writer, body: { tokenExchange } });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body as { tokenExchange: unknown[] };
  }

  /** A's user token for `api` (authorization code flow through the real pages, openid-client). */
  async function userToken(api = b, scope = SCOPES.join(' '), client = app) {
    const config = await discover(server, client);
    const { tokens } = await authorizationCodeFlow(server, config, user, { scope: `openid ${scope}`, resource: api }, { resource: api });
    return tokens.access_token;
  }

  /** RFC 8693 request by `service` with openid-client's generic grant; answers the raw JSON. */
  async function exchange(service: { clientId: string; clientSecret: string }, parameters: Record<string, string>) {
    const response = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(service.clientId)}:${encodeURIComponent(service.clientSecret)}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: TOKEN_EXCHANGE_GRANT, subject_token_type: SUBJECT_TOKEN_TYPE, ...parameters }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function openidClientExchange(service: { clientId: string; clientSecret: string }, parameters: Record<string, string>) {
    const config = await discover(server, service);
    return oidc.genericGrantRequest(config, TOKEN_EXCHANGE_GRANT, { subject_token_type: SUBJECT_TOKEN_TYPE, ...parameters });
  }

  return { admin, writer, b, c, d, plain, app, bService, cService, user, setPolicy, userToken, exchange, openidClientExchange };
}
