import { z } from 'zod';
import { ACCESS_TOKEN_FORMATS, EXCHANGE_MODES } from '../../apis/index.ts';
import { NotFound } from '../../errors.ts';
import type { Services } from '../../services.ts';
import { adminRoute, created, ok, pageOf, pageQuery, paginate } from '../route.ts';

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

const api = z
  .object({
    identifier: z.string().describe('The `aud` of its access tokens.'),
    name: z.string(),
    scopes: z.array(z.object({ name: z.string(), description: z.string() })),
    accessTokenTtl: z.number().int().nullable(),
    claims: z.array(z.string()).describe('Claims its access tokens carry besides sub, client_id and scope.'),
    signingAlg: z.string(),
    accessTokenFormat,
    tokenExchange: z.array(exchangeRule),
  })
  .meta({ id: 'Api' });
const scopes = z.array(z.object({ name: z.string(), description: z.string() }));
const identifierParams = z.object({ identifier: z.string().min(1).max(500) });

export function apiRoutes(services: Services) {
  const { apis } = services;
  return [
    adminRoute({
      method: 'get',
      path: '/apis',
      operationId: 'listApis',
      summary: 'List APIs (resource servers)',
      tag: 'APIs',
      query: pageQuery,
      responses: { 200: { description: 'A page of APIs', schema: pageOf(api) } },
      handle: async ({ query }) => ok(paginate(await apis.list(), query)),
    }),
    adminRoute({
      method: 'post',
      path: '/apis',
      operationId: 'createApi',
      summary: 'Register an API',
      tag: 'APIs',
      body: z.object({
        identifier: z.string().max(500),
        name: z.string().max(200),
        scopes: scopes.default([]),
        accessTokenTtl: z.number().int().nullable().default(null),
        claims: z.array(z.string()).default([]),
        signingAlg: z.enum(['RS256', 'ES256', 'EdDSA']).default('RS256'),
        accessTokenFormat: accessTokenFormat.default('jwt'),
        tokenExchange: tokenExchange.default([]),
      }),
      responses: { 201: { description: 'The API', schema: api } },
      handle: async ({ body }) => created(await apis.create(body)),
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
        const found = await apis.find(params.identifier);
        if (!found) throw new NotFound(`API ${params.identifier}`);
        return ok(found);
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
        name: z.string().optional(),
        scopes: scopes.optional(),
        accessTokenTtl: z.number().int().nullable().optional(),
        claims: z.array(z.string()).optional(),
        signingAlg: z.enum(['RS256', 'ES256', 'EdDSA']).optional(),
        accessTokenFormat: accessTokenFormat.optional(),
        tokenExchange: tokenExchange.optional(),
      }),
      responses: { 200: { description: 'The API', schema: api } },
      handle: async ({ params, body }) => ok(await apis.update(params.identifier, body)),
    }),
  ];
}
