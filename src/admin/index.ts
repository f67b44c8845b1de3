/**
 * The admin REST API: route records per resource, one router, one OpenAPI document.
 */
import type { JWK } from 'jose';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { JobRunner } from '../jobs/index.ts';
import type { Logger } from '../logger.ts';
import type { Services } from '../services.ts';
import { ADMIN_READ_SCOPE, ADMIN_WRITE_SCOPE, adminAudience, createAdminAuthenticator } from './auth.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { createAdminRouter } from './router.ts';
import { adminRoutes } from './routes.ts';

export { ADMIN_READ_SCOPE, ADMIN_ROLE, ADMIN_WRITE_SCOPE, adminAudience } from './auth.ts';
export { adminRoutes } from './routes.ts';

/** Registers the admin API as a resource server, so clients can be granted its scopes. */
export function ensureAdminApi(services: Services, issuer: string): Promise<void> {
  return services.apis.ensure({
    identifier: adminAudience(issuer),
    name: 'Gatehouse admin API',
    scopes: [
      { name: ADMIN_READ_SCOPE, description: 'Read users, clients, APIs, sessions, keys and audit events' },
      { name: ADMIN_WRITE_SCOPE, description: 'Change users, clients, APIs, sessions and keys' },
    ],
  });
}

export function createAdminApi(deps: { config: Config; services: Services; jobs: JobRunner; publicJwks: () => JWK[]; logger: Logger; clock: Clock }) {
  const { config, services } = deps;
  const routes = adminRoutes(services, deps.jobs);
  let document: unknown;
  return createAdminRouter({
    routes,
    authenticate: createAdminAuthenticator({
      issuer: config.issuer,
      algorithms: config.keys.algorithms,
      publicJwks: deps.publicJwks,
      rolesOf: (accountId) => services.rbac.allRoleNames({ kind: 'user', id: accountId }),
      now: () => deps.clock.now(),
    }),
    openApiDocument: () => {
      document ??= buildOpenApiDocument(routes, { issuer: config.issuer, version: '1.0.0' });
      return document;
    },
    logger: deps.logger,
    bodyLimitBytes: config.bodyLimitBytes,
  });
}
