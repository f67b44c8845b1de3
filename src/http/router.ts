/**
 * Mounts route records (route.ts) as one Koa middleware: the group's own steps (error renderer,
 * body parser, CSRF …) run for every matched route, then the record's input is validated, then its
 * handler runs. Requests no record matches pass on (to oidc-provider, as before the groups).
 */
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import compose from 'koa-compose';
import type { Route } from './route.ts';
import { parseInput } from './validate.ts';

export interface RouteTable {
  /** Koa router prefix, e.g. `/interaction`; none for routes at the root. */
  prefix?: string;
  /** Run before every matched route, in order. */
  steps: readonly Middleware[];
  routes: readonly Route[];
  /** Answer 405/501 (with Allow) for a known path and a method no record has. */
  answerUnknownMethods?: boolean;
}

/** The one place request input is validated: a 400 listing every problem, before the handler. */
export function validatedInput(route: Route, ctx: Context) {
  return {
    params: route.params ? parseInput(route.params, ctx.params) : ctx.params,
    query: route.query ? parseInput(route.query, ctx.query) : ctx.query,
    body: route.body ? parseInput(route.body, (ctx.request as { body?: unknown }).body) : (ctx.request as { body?: unknown }).body,
  } as never;
}

export function mountRoutes(table: RouteTable): Middleware {
  const router = new Router(table.prefix ? { prefix: table.prefix } : {});
  if (table.steps.length > 0) router.use(...table.steps);
  for (const route of table.routes) {
    const handle: Middleware = async (ctx) => {
      await route.handle(ctx, validatedInput(route, ctx));
    };
    router[route.method](route.path, ...((route.before ?? []) as Middleware[]), handle);
  }
  const steps = table.answerUnknownMethods ? [router.routes(), router.allowedMethods()] : [router.routes()];
  return compose(steps as unknown as Middleware[]);
}
