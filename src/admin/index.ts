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
import { type AdminRequest, type AdminResponse, createAdminDispatcher, problemBody, problemFor } from './dispatch.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { createAdminRouter } from './router.ts';
import { adminRoutes } from './routes.ts';

export { ADMIN_READ_ROLE, ADMIN_READ_SCOPE, ADMIN_ROLE, ADMIN_WRITE_SCOPE, adminAudience } from './auth.ts';
export type { AdminRequest, AdminResponse } from './dispatch.ts';

/**
 * An admin request made with a bearer token, in this process: the token is checked exactly as
 * the HTTP router checks it (scope, person's role, second factor), then the request goes through
 * the same dispatch as the CLI's. The console calls the admin API through this and nothing else.
 */
export type AdminCaller = (accessToken: string, request: AdminRequest) => Promise<AdminResponse>;

/** What a token may do through the admin API (the same checks as every request), and why not. */
export type AdminAccess = (accessToken: string) => Promise<{ read: boolean; write: boolean; refusal?: string }>;
export { adminRoutes } from './routes.ts';

/** Registers the admin API as a resource server, so clients can be granted its scopes. */
export function ensureAdminApi(services: Services, issuer: string): Promise<void> {
  return services.apis.ensure({
    identifier: adminAudience(issuer),
    name: 'Gatehouse admin API',
    scopes: [
      {
        name: ADMIN_READ_SCOPE,
        description: 'Read users, clients, APIs, sessions, keys and audit events',
        descriptions: {
          es: 'Ver usuarios, clientes, API, sesiones, claves y eventos de auditoría',
          zh: '查看用户、客户端、API、会话、密钥和审计事件',
          fr: 'Consulter les utilisateurs, clients, API, sessions, clés et événements d’audit',
          de: 'Benutzer, Clients, APIs, Sitzungen, Schlüssel und Audit-Ereignisse lesen',
          pt: 'Ver utilizadores, clientes, APIs, sessões, chaves e eventos de auditoria',
          ja: 'ユーザー、クライアント、API、セッション、鍵、監査イベントを閲覧する',
        },
      },
      {
        name: ADMIN_WRITE_SCOPE,
        description: 'Change users, clients, APIs, sessions and keys',
        descriptions: {
          es: 'Cambiar usuarios, clientes, API, sesiones y claves',
          zh: '更改用户、客户端、API、会话和密钥',
          fr: 'Modifier les utilisateurs, clients, API, sessions et clés',
          de: 'Benutzer, Clients, APIs, Sitzungen und Schlüssel ändern',
          pt: 'Alterar utilizadores, clientes, APIs, sessões e chaves',
          ja: 'ユーザー、クライアント、API、セッション、鍵を変更する',
        },
      },
    ],
  });
}

export function createAdminApi(deps: { config: Config; services: Services; jobs: JobRunner; publicJwks: () => JWK[]; logger: Logger; clock: Clock }) {
  const { config, services } = deps;
  const routes = adminRoutes(services, deps.jobs);
  let document: unknown;
  const authenticate = createAdminAuthenticator({
    issuer: config.issuer,
    algorithms: config.keys.algorithms,
    publicJwks: deps.publicJwks,
    rolesOf: (accountId) => services.rbac.allRoleNames({ kind: 'user', id: accountId }),
    now: () => deps.clock.now(),
  });
  const dispatch = createAdminDispatcher({ routes, logger: deps.logger });
  const call: AdminCaller = async (accessToken, request) => {
    try {
      const principal = await authenticate(`Bearer ${accessToken}`, request.method.toUpperCase() === 'GET' ? 'read' : 'write');
      return await dispatch(request, principal);
    } catch (error) {
      const known = problemFor(error);
      if (!known) throw error;
      return { status: known.status, body: problemBody(known.status, known.detail) };
    }
  };
  const access: AdminAccess = async (accessToken) => {
    const check = (kind: 'read' | 'write') =>
      authenticate(`Bearer ${accessToken}`, kind).then(
        () => undefined,
        (error: unknown) => {
          const known = problemFor(error);
          if (!known) throw error;
          return known.detail;
        },
      );
    const refusal = await check('read');
    if (refusal !== undefined) return { read: false, write: false, refusal };
    return { read: true, write: (await check('write')) === undefined };
  };
  const router = createAdminRouter({
    routes,
    authenticate,
    openApiDocument: () => {
      document ??= buildOpenApiDocument(routes, { issuer: config.issuer, version: '1.0.0' });
      return document;
    },
    bodyLimitBytes: config.bodyLimitBytes,
  });
  return { router, call, access };
}
