import { z } from 'zod';
import { ACCESS_TOKEN_FORMATS, API_AUTH_METHODS, EXCHANGE_MODES } from '../../apis/index.ts';
import { NotFound } from '../../errors.ts';
import type { Services } from '../../services.ts';
import { adminRoute, created, noContent, ok, pageOf, pageQuery, paginate } from '../route.ts';

const exchangeRule = z
  .object({
    clients: z.array(z.string()).describe('Clients (ids) that may exchange tokens issued for this API.'),
    audiences: z.array(z.string()).describe('APIs (identifiers) they may get tokens for.'),
    scopes: z.array(z.string()).describe('The most a new token may carry; never more than the subject token.'),
    mode: z.enum(EXCHANGE_MODES).describe('delegation: the new token names the services in `act`; impersonation: it does not.'),
    maxChainDepth: z.number().int().describe('How many services a token may have been passed through, this exchange included (1–5).'),
  })
  .meta({ id: 'TokenExchangeRule' });
const exchangeRuleInput = exchangeRule.extend({ mode: exchangeRule.shape.mode.optional(), maxChainDepth: exchangeRule.shape.maxChainDepth.optional() });
const tokenExchange = z.array(exchangeRuleInput).describe('RFC 8693 token exchange policy for tokens issued for this API; [] allows none.');
const accessTokenFormat = z.enum(ACCESS_TOKEN_FORMATS).describe('jwt (RFC 9068, verifiable with the JWKS) or opaque (a stored reference).');

export const api = z
  .object({
    identifier: z.string().describe('The `aud` of its access tokens.'),
    name: z.string(),
    scopes: z.array(z.object({ name: z.string(), description: z.string() })),
    accessTokenTtl: z.number().int().nullable(),
    claims: z.array(z.string()).describe('Claims its access tokens carry besides sub, client_id and scope.'),
    signingAlg: z.string(),
    accessTokenFormat,
    tokenExchange: z.array(exchangeRule),
    builtIn: z.boolean().describe('Registered by the server itself (the admin API): cannot be deleted.'),
    introspection: z
      .object({ clientId: z.string(), method: z.enum(API_AUTH_METHODS) })
      .nullable()
      .describe('Its own credentials for the introspection endpoint; null: it has none.'),
  })
  .meta({ id: 'Api' });
const scopes = z.array(z.object({ name: z.string(), description: z.string() })).describe('The scopes clients may ask for, each with a description.');
const accessTokenTtl = z.number().int().nullable().describe('Access-token lifetime in seconds for this API; null: the server default.');
const claims = z.array(z.string()).describe('Claims its access tokens carry besides sub, client_id and scope (roles, groups, org_id; never personal data).');
const signingAlg = z.enum(['RS256', 'ES256', 'EdDSA']).describe('How its access tokens are signed (ES256/EdDSA need GATEHOUSE_SIGNING_ALGS).');
/** An API as registered: the create body (configuration as code uses the same shape). */
export const newApiBody = z.object({
  identifier: z.string().max(500).describe('A URL naming the API: the `aud` (RFC 8707 resource) of its access tokens.'),
  name: z.string().max(200).optional().describe('Shown to people; defaults to the identifier.'),
  scopes: scopes.default([]),
  accessTokenTtl: accessTokenTtl.default(null),
  claims: claims.default([]),
  signingAlg: signingAlg.default('RS256'),
  accessTokenFormat: accessTokenFormat.default('jwt'),
  tokenExchange: tokenExchange.default([]),
});
const identifierParams = z.object({ identifier: z.string().min(1).max(500) });

const credentials = z
  .object({
    clientId: z.string().describe('The id the API authenticates with at the introspection endpoint.'),
    clientSecret: z.string().optional().describe('Shown once (client_secret_basic / client_secret_post); only its digest is kept.'),
    method: z.enum(API_AUTH_METHODS),
  })
  .meta({ id: 'ApiCredentials' });

export function apiRoutes(services: Services) {
  const withBuiltIn = <T extends { identifier: string }>(api: T) => ({ ...api, builtIn: services.apis.isBuiltIn(api.identifier) });
  return [
    adminRoute({
      method: 'get',
      path: '/apis',
      operationId: 'listApis',
      summary: 'List APIs (resource servers)',
      tag: 'APIs',
      query: pageQuery,
      responses: { 200: { description: 'A page of APIs', schema: pageOf(api) } },
      handle: async ({ query }) => ok(paginate((await services.apis.list()).map(withBuiltIn), query)),
    }),
    adminRoute({
      method: 'post',
      path: '/apis',
      operationId: 'createApi',
      summary: 'Register an API',
      tag: 'APIs',
      body: newApiBody,
      responses: { 201: { description: 'The API', schema: api } },
      handle: async ({ body }) => created(withBuiltIn(await services.apis.create({ ...body, name: body.name ?? body.identifier }))),
    }),
    adminRoute({
      method: 'get',
      path: '/apis/{identifier}',
      operationId: 'getApi',
      summary: 'One API (the identifier URL-encoded)',
      tag: 'APIs',
      params: identifierParams,
      responses: { 200: { description: 'The API', schema: api } },
      async handle({ params }) {
        const found = await services.apis.find(params.identifier);
        if (!found) throw new NotFound(`API ${params.identifier}`);
        return ok(withBuiltIn(found));
      },
    }),
    adminRoute({
      method: 'patch',
      path: '/apis/{identifier}',
      operationId: 'updateApi',
      summary: 'Change an API’s name, scopes, token lifetime, claims, signing algorithm, token format or token-exchange policy',
      tag: 'APIs',
      params: identifierParams,
      body: z.object({
        name: z.string().max(200).optional().describe('Shown to people.'),
        scopes: scopes.optional(),
        accessTokenTtl: accessTokenTtl.optional(),
        claims: claims.optional(),
        signingAlg: signingAlg.optional(),
        accessTokenFormat: accessTokenFormat.optional(),
        tokenExchange: tokenExchange.optional(),
      }),
      responses: { 200: { description: 'The API', schema: api } },
      handle: async ({ params, body }) => ok(withBuiltIn(await services.apis.update(params.identifier, body))),
    }),
    adminRoute({
      method: 'delete',
      path: '/apis/{identifier}',
      operationId: 'deleteApi',
      summary: 'Delete an API and its roles (clients listing it can no longer get tokens for it)',
      tag: 'APIs',
      params: identifierParams,
      responses: { 204: { description: 'Deleted' } },
      handle: async ({ params }) => {
        await services.apis.delete(params.identifier);
        return noContent();
      },
    }),
    adminRoute({
      method: 'post',
      path: '/apis/{identifier}/credentials',
      operationId: 'issueApiCredentials',
      summary: 'Give an API its own credentials for the introspection endpoint (replacing any it had)',
      tag: 'APIs',
      params: identifierParams,
      body: z.object({
        method: z
          .enum(API_AUTH_METHODS)
          .default('client_secret_basic')
          .describe('How the API authenticates: a secret (shown once) or private_key_jwt with its public keys.'),
        jwksUri: z.string().max(2000).optional().describe('Where its public keys are, for private_key_jwt.'),
        jwks: z
          .object({ keys: z.array(z.record(z.string(), z.unknown())) })
          .optional()
          .describe('Its public keys inline, for private_key_jwt ({"keys":[…]}).'),
      }),
      responses: { 201: { description: 'The credentials; the secret is shown only here', schema: credentials } },
      handle: async ({ params, body }) => created(await services.apis.issueCredentials(params.identifier, body)),
    }),
    adminRoute({
      method: 'delete',
      path: '/apis/{identifier}/credentials',
      operationId: 'removeApiCredentials',
      summary: 'Take an API’s introspection credentials away',
      tag: 'APIs',
      params: identifierParams,
      responses: { 204: { description: 'Removed' } },
      async handle({ params }) {
        if (!(await services.apis.removeCredentials(params.identifier))) throw new NotFound(`introspection credentials of API ${params.identifier}`);
        return noContent();
      },
    }),
  ];
}
