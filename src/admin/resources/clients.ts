import { z } from 'zod';
import { clientSettingsSchema, MAX_SECRET_OVERLAP_SECONDS } from '../../clients/index.ts';
import { NotFound } from '../../errors.ts';
import type { Services } from '../../services.ts';
import { adminRoute, created, noContent, ok, pageOf, pageQuery, paginate } from '../route.ts';

const client = z
  .object({
    clientId: z.string(),
    name: z.string(),
    type: z.enum(['public', 'confidential']),
    grantTypes: z.array(z.string()),
    redirectUris: z.array(z.string()),
    postLogoutRedirectUris: z.array(z.string()),
    scopes: z.array(z.string()),
    resources: z.array(z.string()),
    tokenEndpointAuthMethod: z.string(),
    firstParty: z.boolean(),
    requireMfa: z.boolean(),
    allowedCorsOrigins: z.array(z.string()).nullable(),
    accessTokenTtl: z.number().int().nullable(),
    refreshTokenTtl: z.number().int().nullable(),
    exactRedirectPort: z.boolean(),
    dpopBoundAccessTokens: z.boolean().describe('Every token request must carry a DPoP proof (RFC 9449).'),
    previousSecretExpiresAt: z.number().int().nullable(),
  })
  .meta({ id: 'Client' });
const withSecret = z
  .object({ client, clientSecret: z.string().optional().describe('Shown once; only its digest is stored.') })
  .meta({ id: 'ClientWithSecret' });
const settings = clientSettingsSchema.meta({ id: 'ClientSettings' });
const clientParams = z.object({ clientId: z.string().min(1).max(200) });

export function clientRoutes(services: Services) {
  const { clients } = services;
  return [
    adminRoute({
      method: 'get',
      path: '/clients',
      operationId: 'listClients',
      summary: 'List clients',
      tag: 'Clients',
      query: pageQuery,
      responses: { 200: { description: 'A page of clients', schema: pageOf(client) } },
      handle: async ({ query }) => ok(paginate(await clients.list(), query)),
    }),
    adminRoute({
      method: 'post',
      path: '/clients',
      operationId: 'createClient',
      summary: 'Register a client; a confidential one gets a secret, shown once',
      tag: 'Clients',
      body: settings,
      responses: { 201: { description: 'The client and its secret', schema: withSecret } },
      handle: async ({ body }) => {
        const result = await clients.create(body);
        return created({ client: result.client, ...(result.clientSecret ? { clientSecret: result.clientSecret } : {}) });
      },
    }),
    adminRoute({
      method: 'get',
      path: '/clients/{clientId}',
      operationId: 'getClient',
      summary: 'One client',
      tag: 'Clients',
      params: clientParams,
      responses: { 200: { description: 'The client', schema: client } },
      async handle({ params }) {
        const found = await clients.find(params.clientId);
        if (!found) throw new NotFound(`client ${params.clientId}`);
        return ok(found);
      },
    }),
    adminRoute({
      method: 'put',
      path: '/clients/{clientId}',
      operationId: 'updateClient',
      summary: 'Replace a client’s settings; its secret is kept',
      tag: 'Clients',
      params: clientParams,
      body: settings,
      responses: { 200: { description: 'The client (with a secret only if it newly needs one)', schema: withSecret } },
      handle: async ({ params, body }) => {
        const result = await clients.update(params.clientId, body);
        return ok({ client: result.client, ...(result.clientSecret ? { clientSecret: result.clientSecret } : {}) });
      },
    }),
    adminRoute({
      method: 'delete',
      path: '/clients/{clientId}',
      operationId: 'deleteClient',
      summary: 'Delete a client',
      tag: 'Clients',
      params: clientParams,
      responses: { 204: { description: 'Deleted' } },
      async handle({ params }) {
        if (!(await clients.delete(params.clientId))) throw new NotFound(`client ${params.clientId}`);
        return noContent();
      },
    }),
    adminRoute({
      method: 'post',
      path: '/clients/{clientId}/secret',
      operationId: 'rotateClientSecret',
      summary: 'Rotate the secret; the previous one keeps working for the overlap',
      tag: 'Clients',
      params: clientParams,
      body: z.object({ overlapSeconds: z.number().int().min(0).max(MAX_SECRET_OVERLAP_SECONDS).default(86_400) }),
      responses: {
        200: {
          description: 'The new secret (shown once) and when the previous one stops working',
          schema: z.object({ clientSecret: z.string(), previousSecretExpiresAt: z.number().int().nullable() }),
        },
      },
      handle: async ({ params, body }) => ok(await clients.rotateSecret(params.clientId, { overlapSeconds: body.overlapSeconds })),
    }),
  ];
}
