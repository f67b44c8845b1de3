/**
 * The HTTP edge as a table: every request goes to exactly one route group, chosen by its path
 * prefix, and each group is one koa-compose'd pipeline built once at start. The steps shared by
 * groups are the same middleware instances, each run once per request:
 *
 *   protocol  log → headers → errors → https → JWKS → discovery → limits → oidc-provider
 *   pages     log → locale → headers → errors → https → the group's records (form body, CSRF) → limits → oidc-provider
 *   json      log → locale → headers → errors → https → the group's records (JSON body) → limits → oidc-provider
 *
 * `errors` is the group's error boundary (http/errors.ts) with the group's renderer: OAuth JSON for
 * the protocol endpoints, pages for pages, RFC 9457 or OAuth JSON for the JSON APIs. It sits below
 * the headers step, so an error page still gets its CSP, and above every step that may refuse.
 *
 * A request no record of its group answers continues to oidc-provider, as every request did
 * before the groups existed (its 404 and its own endpoints, e.g. /auth, /me, /session/end).
 */

import type { Middleware } from 'koa';
import compose from 'koa-compose';

export interface EdgeSteps {
  logging: Middleware;
  locale: Middleware;
  headers: Middleware;
  https: Middleware;
  /** Token-endpoint limits, then oidc-provider: the end of every pipeline. */
  limits: Middleware;
  provider: Middleware;
}

export type GroupKind = 'protocol' | 'pages' | 'json';

/**
 * Builds one group's pipeline around its own middleware (a mounted route table, JWKS …) and its
 * error boundary (`errors`, built once per renderer and shared by the groups that use it).
 */
export function pipeline(steps: EdgeSteps, kind: GroupKind, errors: Middleware, own: readonly Middleware[]): Middleware {
  const front = kind === 'protocol' ? [steps.logging, steps.headers, errors, steps.https] : [steps.logging, steps.locale, steps.headers, errors, steps.https];
  return compose([...front, ...own, steps.limits, steps.provider]);
}

export interface GroupEntry {
  /** Path prefixes (a prefix matches itself and anything under it, `/account` and `/account/mfa`), or exact paths. */
  prefixes?: readonly string[];
  exact?: readonly string[];
  group: Middleware;
}

/**
 * Koa's router and oidc-provider match paths case-insensitively and with an optional trailing
 * slash; the table does the same, so `/Account/` reaches the same group as `/account`.
 */
const normalized = (path: string) => path.toLowerCase().replace(/(.)\/$/, '$1');

/** The one middleware app.ts registers: path → the group's pipeline (`fallback` when none claims it). */
export function byPath(table: readonly GroupEntry[], fallback: Middleware): Middleware {
  const exact = new Map<string, Middleware>();
  const prefixes: Array<[string, Middleware]> = [];
  for (const entry of table) {
    for (const path of entry.exact ?? []) exact.set(path, entry.group);
    for (const prefix of entry.prefixes ?? []) prefixes.push([normalized(prefix), entry.group]);
  }
  return (ctx, next) => {
    const path = normalized(ctx.path);
    const group =
      exact.get(ctx.path) ?? prefixes.find(([prefix]) => path === prefix || path.startsWith(`${prefix}/`))?.[1] ?? fallback;
    return group(ctx, next);
  };
}
