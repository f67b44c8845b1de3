import { z } from 'zod';
import { chosenClientIdSchema, chosenClientSecretSchema, clientSettingsSchema, MAX_SECRET_OVERLAP_SECONDS } from '../../clients/index.ts';
import { NotFound } from '../../errors.ts';
import type { Services } from '../../services.ts';
import { adminRoute, created, noContent, ok, pageOf, pageQuery, paginate } from '../route.ts';

export const client = z
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
    requirePasskey: z.boolean().describe('Every sign-in to it needs a passkey (loa:3).'),
    allowedCorsOrigins: z.array(z.string()).nullable(),
    accessTokenTtl: z.number().int().nullable(),
    refreshTokenTtl: z.number().int().nullable(),
    exactRedirectPort: z.boolean(),
    dpopBoundAccessTokens: z.boolean().describe('Every token request must carry a DPoP proof (RFC 9449).'),
    jwksUri: z.string().nullable(),
    jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).nullable(),
    backchannelLogoutUri: z.string().nullable(),
    keepOfflineAccessOnLogout: z.boolean(),
    idTokenSigningAlg: z.string().nullable(),
    dynamic: z.boolean().describe('Registered by the client itself (RFC 7591 dynamic registration).'),
    previousSecretExpiresAt: z.number().int().nullable(),
  })
  .meta({ id: 'Client' });
export const withSecret = z
  .object({ client, clientSecret: z.string().optional().describe('Shown once; only its digest is stored.') })
  .meta({ id: 'ClientWithSecret' });
const settings = clientSettingsSchema.meta({ id: 'ClientSettings' });
const newClient = clientSettingsSchema
  .extend({
    clientId: chosenClientIdSchema.optional().describe('Choose the client id (default: a random one).'),
    clientSecret: chosenClientSecretSchema
      .optional()
      .describe('Supply the secret (from your secret store; at least 32 characters) instead of a generated one; it is not echoed back.'),
  })
  .meta({ id: 'NewClient' });
const clientParams = z.object({ clientId: z.string().min(1).max(200) });

export function clientRoutes(services: Services) {
  return [
    adminRoute({
      method: 'get',
      path: '/clients',
      operationId: 'listClients',
      summary: 'List clients',
      tag: 'Clients',
      query: pageQuery,
      responses: { 200: { description: 'A page of clients', schema: pageOf(client) } },
      handle: async ({ query }) => ok(paginate(await services.clients.list(), query)),
    }),
    adminRoute({
      method: 'post',
      path: '/clients',
      operationId: 'createClient',
      summary: 'Register a client; a confidential one gets a secret, shown once',
      tag: 'Clients',
      body: newClient,
      responses: { 201: { description: 'The client and its secret', schema: withSecret } },
      handle: async ({ body }) => {
        const { clientId, clientSecret, ...clientSettings } = body;
        const result = await services.clients.create(clientSettings, { clientId, clientSecret });
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
        const found = await services.clients.find(params.clientId);
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
        const result = await services.clients.update(params.clientId, body);
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
        if (!(await services.clients.delete(params.clientId))) throw new NotFound(`client ${params.clientId}`);
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
      body: z.object({
        overlapSeconds: z
          .number()
          .int()
          .min(0)
          .max(MAX_SECRET_OVERLAP_SECONDS)
          .default(86_400)
          .describe('Seconds the previous secret keeps working (0 ends it now; at most 7 days).'),
        clientSecret: chosenClientSecretSchema.optional().describe('The new secret, from your secret store (default: a generated one).'),
      }),
      responses: {
        200: {
          description: 'The new secret (shown once) and when the previous one stops working',
          schema: z.object({
            clientSecret: z.string().optional().describe('The generated secret (absent when you supplied one).'),
            previousSecretExpiresAt: z.number().int().nullable(),
          }),
        },
      },
      handle: async ({ params, body }) => {
        const rotated = await services.clients.rotateSecret(params.clientId, body);
        // A supplied secret is the caller's already: never echoed back.
        return ok(body.clientSecret === undefined ? rotated : { previousSecretExpiresAt: rotated.previousSecretExpiresAt });
      },
    }),
    adminRoute({
      method: 'post',
      path: '/clients/{clientId}/secret/check',
      operationId: 'checkClientSecret',
      summary: 'Whether a secret is the client’s current one (configuration as code compares without reading the digest)',
      tag: 'Clients',
      params: clientParams,
      body: z.object({ clientSecret: z.string().min(1).max(512) }),
      responses: { 200: { description: 'Whether it matches', schema: z.object({ matches: z.boolean() }) } },
      handle: async ({ params, body }) => ok({ matches: await services.clients.secretMatches(params.clientId, body.clientSecret) }),
    }),
  ];
}
