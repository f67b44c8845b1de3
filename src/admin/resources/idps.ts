import { z } from 'zod';
// The schemas' own module, not the federation service (openid-client): the CLI lists these routes.
import { createProviderSchema, providerNameSchema, providerView, updateProviderSchema } from '../../federation/providers.ts';
import type { Services } from '../../services.ts';
import { adminRoute, created, noContent, ok, pageOf, pageQuery, paginate } from '../route.ts';

const nameParams = z.object({ name: providerNameSchema });

/** Upstream identity providers (federation): sign in with the company's OpenID Connect / OAuth 2 provider. */
export function idpRoutes(services: Services) {
  return [
    adminRoute({
      method: 'get',
      path: '/idps',
      operationId: 'listIdps',
      summary: 'List upstream identity providers',
      tag: 'Identity providers',
      query: pageQuery,
      responses: { 200: { description: 'A page of identity providers', schema: pageOf(providerView) } },
      handle: async ({ query }) => ok(paginate(await services.federation.list(), query)),
    }),
    adminRoute({
      method: 'post',
      path: '/idps',
      operationId: 'createIdp',
      summary: 'Add an upstream identity provider (OpenID Connect by issuer, plain OAuth 2, or a preset); the answer names the callback URL to register upstream',
      tag: 'Identity providers',
      body: createProviderSchema,
      responses: { 201: { description: 'The identity provider', schema: providerView } },
      handle: async ({ body, principal }) => created(await services.federation.create(body, { actor: principal.subject })),
    }),
    adminRoute({
      method: 'get',
      path: '/idps/{name}',
      operationId: 'getIdp',
      summary: 'One upstream identity provider',
      tag: 'Identity providers',
      params: nameParams,
      responses: { 200: { description: 'The identity provider', schema: providerView } },
      handle: async ({ params }) => ok(await services.federation.find(params.name)),
    }),
    adminRoute({
      method: 'patch',
      path: '/idps/{name}',
      operationId: 'updateIdp',
      summary: 'Change an upstream identity provider (endpoints, secret, domains, JIT, trust, claim and group → role mapping, enabled)',
      tag: 'Identity providers',
      params: nameParams,
      body: updateProviderSchema,
      responses: { 200: { description: 'The identity provider', schema: providerView } },
      handle: async ({ params, body, principal }) => ok(await services.federation.update(params.name, body, { actor: principal.subject })),
    }),
    adminRoute({
      method: 'delete',
      path: '/idps/{name}',
      operationId: 'deleteIdp',
      summary: 'Delete an upstream identity provider and every link to it',
      tag: 'Identity providers',
      params: nameParams,
      responses: { 204: { description: 'Deleted' } },
      handle: async ({ params, principal }) => {
        await services.federation.delete(params.name, { actor: principal.subject });
        return noContent();
      },
    }),
  ];
}
