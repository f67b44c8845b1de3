/**
 * One Gatehouse endpoint as data — method, path, input schemas and the handler — generalising the
 * admin API's records (admin/route.ts) to the pages and JSON routes. The router (router.ts)
 * validates the input from the record before the handler runs, so no handler parses input
 * itself, and malformed input is a 400 from the group's error renderer, never a 500.
 *
 * @example
 * route({ method: 'post', path: '/:uid/login', body: loginForm, handle: (ctx, { body }) => … })
 */
import type { Context, Middleware } from 'koa';
import type { z } from 'zod';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Validated input; without a schema, `params` and `query` are Koa's strings and `body` the parsed body. */
export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
}

export interface Route {
  method: HttpMethod;
  /** Koa path under the group's prefix, e.g. `/:uid/login`. */
  path: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Steps of this route alone, after the group's and before validation (a rate limit, a body parser). */
  before?: readonly Middleware[];
  handle(ctx: Context, input: RouteInput<never, never, never>): unknown;
}

type Raw = Record<string, string | string[] | undefined>;

/** Typed constructor: the handler sees the parsed params, query and body. */
export function route<P extends z.ZodType = z.ZodType<Raw>, Q extends z.ZodType = z.ZodType<Raw>, B extends z.ZodType = z.ZodType<unknown>>(definition: {
  method: HttpMethod;
  path: string;
  params?: P;
  query?: Q;
  body?: B;
  before?: readonly Middleware[];
  handle(ctx: Context, input: RouteInput<z.output<P>, z.output<Q>, z.output<B>>): unknown;
}): Route {
  return definition as unknown as Route;
}

/** A handler written as Koa middleware (no input of its own, last in its chain) as a record's `handle`. */
export const withoutInput =
  (handler: Middleware) =>
  (ctx: Context): unknown =>
    handler(ctx, async () => {});
