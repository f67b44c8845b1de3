/**
 * The admin API without HTTP. An admin request — method, path under /admin/v1, query and JSON
 * body — is matched to its route record, validated and handled exactly as the HTTP router does,
 * and every failure becomes the same RFC 9457 problem document. The admin socket (how the CLI
 * reaches a running server) and the CLI's in-process fallback both go through here; router.ts
 * uses the same `runRoute` and `problemFor`, so the three transports cannot drift apart.
 */
import { GatehouseError } from '../errors.ts';
import { describeError, problemBody } from '../http/errors.ts';
import { parseInput } from '../http/validate.ts';
import type { Logger } from '../logger.ts';
import type { AdminPrincipal } from './auth.ts';
import type { AdminResult, AdminRoute } from './route.ts';

export interface AdminRequest {
  method: string;
  /** Under /admin/v1, e.g. `/users/3f2…/sessions`; path parameters percent-encoded. */
  path: string;
  query?: Record<string, string> | undefined;
  body?: unknown;
  /** The caller's address, when the request came from a browser (the console). */
  ip?: string | undefined;
}

export interface AdminResponse {
  status: number;
  body?: unknown;
}

export { type Problem, problemBody } from '../http/errors.ts';

/** A Gatehouse error as a problem (status from the one map in http/); anything else is undefined. */
export function problemFor(error: unknown): { status: number; detail: string; errors?: readonly string[]; retryAfter?: number } | undefined {
  if (!(error instanceof GatehouseError)) return undefined;
  const facts = describeError(error);
  return {
    status: facts.status,
    detail: error.message,
    ...(facts.issues ? { errors: facts.issues } : {}),
    ...(facts.retryAfter !== undefined ? { retryAfter: facts.retryAfter } : {}),
  };
}

/** Validates the raw input against the record's schemas, then runs its handler. */
export function runRoute(
  route: AdminRoute,
  raw: { params: unknown; query: unknown; body: unknown; principal: AdminPrincipal; ip: string | undefined },
): Promise<AdminResult> {
  return route.handle({
    params: (route.params ? parseInput(route.params, raw.params) : {}) as never,
    query: (route.query ? parseInput(route.query, raw.query ?? {}) : {}) as never,
    body: (route.body ? parseInput(route.body, raw.body) : undefined) as never,
    principal: raw.principal,
    ip: raw.ip,
  });
}

interface CompiledRoute {
  route: AdminRoute;
  method: string;
  pattern: RegExp;
  names: string[];
}

export function compileRoutes(routes: readonly AdminRoute[]): CompiledRoute[] {
  return routes.map((route) => ({
    route,
    method: route.method.toUpperCase(),
    pattern: new RegExp(`^${route.path.replaceAll(/\{[A-Za-z0-9_]+\}/g, '([^/]+)')}$`),
    names: [...route.path.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((match) => match[1] ?? ''),
  }));
}

/** Runs admin requests in this process, as the operator (filesystem access to the socket, or the database credentials, is the authority). */
export function createAdminDispatcher(deps: { routes: readonly AdminRoute[]; logger: Logger }) {
  const compiled = compileRoutes(deps.routes);
  return async function dispatch(request: AdminRequest, principal: AdminPrincipal): Promise<AdminResponse> {
    const method = request.method.toUpperCase();
    const candidates = compiled.filter((entry) => entry.pattern.test(request.path));
    const entry = candidates.find((candidate) => candidate.method === method);
    if (!entry) {
      if (candidates.length === 0) return { status: 404, body: problemBody(404, `no admin endpoint ${method} ${request.path}`) };
      const allowed = candidates.map((candidate) => candidate.method).join(' or ');
      return { status: 405, body: problemBody(405, `${method} is not allowed here; use ${allowed}`) };
    }
    try {
      const values = entry.pattern.exec(request.path)?.slice(1) ?? [];
      const params = Object.fromEntries(entry.names.map((name, i) => [name, decodeURIComponent(values[i] ?? '')]));
      const result = await runRoute(entry.route, { params, query: request.query ?? {}, body: request.body, principal, ip: request.ip });
      return { status: result.status, ...(result.body !== undefined ? { body: result.body } : {}) };
    } catch (error) {
      if (error instanceof URIError) return { status: 400, body: problemBody(400, 'a path parameter is not valid percent-encoding') };
      const known = problemFor(error);
      if (known) return { status: known.status, body: problemBody(known.status, known.detail, { errors: known.errors }) };
      deps.logger.error({ err: error, operationId: entry.route.operationId }, 'admin request failed');
      return { status: 500, body: problemBody(500, 'internal error; the server log has the details') };
    }
  };
}

export type AdminDispatcher = ReturnType<typeof createAdminDispatcher>;
