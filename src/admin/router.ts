/**
 * Mounts the admin route records under /admin/v1: authenticate → parse JSON → validate →
 * handler → JSON. Every failure is an RFC 9457 problem document; nothing else leaves.
 */
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { problemBody } from '../http/errors.ts';
import type { AdminAuthenticator } from './auth.ts';
import { runRoute } from './dispatch.ts';
import { ADMIN_PREFIX, type AdminRoute } from './route.ts';

export { ADMIN_PREFIX } from './route.ts';

function problem(ctx: Context, status: number, detail: string) {
  ctx.status = status;
  ctx.type = 'application/problem+json';
  ctx.body = problemBody(status, detail, { requestId: ctx.state.requestId ? String(ctx.state.requestId) : undefined });
}

/**
 * Never cached. Failures are thrown to the admin group's error boundary (app.ts: the one error map's
 * RFC 9457 renderer); an address under the prefix that no record answers is a problem document too.
 */
const noStoreAndProblem404: Middleware = async (ctx, next) => {
  ctx.set('Cache-Control', 'no-store');
  await next();
  if (ctx.status === 404 && ctx.body === undefined) problem(ctx, 404, `no admin endpoint ${ctx.method} ${ctx.path}`);
};

const requireJson: Middleware = async (ctx, next) => {
  if (!ctx.is('application/json')) throw Object.assign(new Error('unsupported media type'), { status: 415 });
  await next();
};

export function createAdminRouter(deps: {
  routes: readonly AdminRoute[];
  authenticate: AdminAuthenticator;
  openApiDocument: () => unknown;
  bodyLimitBytes: number;
}): Router {
  const router = new Router({ prefix: ADMIN_PREFIX });
  router.use(noStoreAndProblem404);
  router.get('/openapi.json', (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = deps.openApiDocument();
  });
  const json = bodyParser({ enableTypes: ['json'], jsonLimit: `${deps.bodyLimitBytes}b`, encoding: 'utf-8', jsonStrict: true });

  for (const route of deps.routes) {
    const koaPath = route.path.replaceAll(/\{([A-Za-z0-9_]+)\}/g, ':$1');
    const stack: Middleware[] = [
      async (ctx, next) => {
        ctx.state.adminPrincipal = await deps.authenticate(ctx.get('authorization') || undefined, route.method === 'get' ? 'read' : 'write');
        await next();
      },
      ...(route.body ? [requireJson, json] : []),
      async (ctx) => {
        const result = await runRoute(route, {
          params: ctx.params,
          query: ctx.query,
          body: (ctx.request as { body?: unknown }).body,
          principal: ctx.state.adminPrincipal,
          ip: ctx.ip,
        });
        ctx.status = result.status;
        if (result.body !== undefined) ctx.body = result.body;
      },
    ];
    router[route.method](koaPath, ...stack);
  }
  // Anything else under the prefix: a problem document, not the HTML 404 of the pages.
  const templates = deps.routes.map((route) => ({
    method: route.method.toUpperCase(),
    pattern: new RegExp(`^${ADMIN_PREFIX}${route.path.replaceAll(/\{[A-Za-z0-9_]+\}/g, '[^/]+')}$`),
  }));
  router.all('/{*rest}', (ctx) => {
    const allowed = templates.filter((template) => template.pattern.test(ctx.path)).map((template) => template.method);
    if (allowed.length === 0) return problem(ctx, 404, `no admin endpoint ${ctx.method} ${ctx.path}`);
    ctx.set('Allow', allowed.join(', '));
    problem(ctx, 405, `${ctx.method} is not allowed here; use ${allowed.join(' or ')}`);
  });
  return router;
}
