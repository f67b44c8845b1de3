/**
 * The admin console — a sitemap. Every page reads and every form writes through the admin API
 * (/admin/v1 route records, in-process through the same dispatch as the CLI) with the signed-in
 * operator's own access token: the console has no other way to the data, and each action leaves
 * the admin API's audit event. Routes are records (http/route.ts): the router validates each
 * one's params, query and form before its handler runs; no handler parses input itself.
 *
 *   GET  /console                         → /console/users
 *   GET  /console/callback                back from signing in (code + PKCE, redeemed server-side)
 *   GET  /console/signed-out              after logout
 *   POST /console/logout                  ends the console session and the Gatehouse session
 *   GET  /console/users                   search (email or name, role, organisation)
 *   GET  /console/users/new               create or invite
 *   POST /console/users
 *   GET  /console/users/:id               roles, groups, organisation, sessions, grants, recent audit events
 *   POST /console/users/:id/:action       disable | enable | rename | set-org | grant-role | revoke-role | join-group |
 *                                         leave-group | reset-mfa | end-sessions | revoke-grant | send-reset
 *   GET  /console/clients                 applications
 *   GET  /console/clients/new?kind=       the wizard (spa | web | service | native | device)
 *   POST /console/clients                 → the secret, shown once
 *   GET  /console/clients/:id
 *   POST /console/clients/:id/secret      rotate (with overlap) → the new secret, shown once
 *   POST /console/clients/:id/redirects   edit redirect URIs
 *   POST /console/clients/:id/delete      typed confirmation
 *   GET  /console/apis   POST /console/apis   GET|POST /console/apis/:identifier (edit)
 *   GET  /console/idps   POST /console/idps   GET|POST /console/idps/:name (edit)
 *   POST /console/idps/:name/enable | disable | delete (typed confirmation)
 *   GET  /console/keys   POST /console/keys/rotate   POST /console/keys/:kid/revoke (typed confirmation)
 *   GET  /console/audit  POST /console/audit/verify
 *   GET  /console/roles  POST /console/roles   POST /console/groups
 *   POST /console/roles/:name/delete   POST /console/groups/:name/delete (typed confirmation)
 *   GET  /console/registration  POST /console/registration (the token, shown once)  POST /console/registration/:id/revoke
 */
import type { Middleware } from 'koa';
import { formRouteStack } from '../http/form-routes.ts';
import { type Route, route } from '../http/route.ts';
import { mountRoutes } from '../http/router.ts';
import { applicationRoutes } from './applications.ts';
import { AdminProblem, type ConsoleDeps, renderPage } from './context.ts';
import { idpRoutes } from './idps.ts';
import { operationRoutes } from './operations.ts';
import { logoutRoute, requireOperator, sessionRoutes } from './session.ts';
import { userRoutes } from './users.ts';

export type { ConsoleDeps } from './context.ts';

export const CONSOLE_PATH = '/console';

/** An admin API refusal (403 for a read-only operator's write, 404, …) as the console's problem page. */
function adminProblems(deps: ConsoleDeps): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (!(error instanceof AdminProblem)) throw error;
      renderPage(deps, ctx, 'problem', { message: error.message, back: '/console' }, error.status);
    }
  };
}

/** Every console route, as records; the signed-in ones first load the operator (or start a sign-in). */
export function consoleRoutes(deps: ConsoleDeps): Route[] {
  const signedIn = [requireOperator(deps), adminProblems(deps)];
  const pages: Route[] = [
    route({
      method: 'get',
      path: '/',
      handle: (ctx) => {
        ctx.status = 303;
        ctx.redirect('/console/users');
      },
    }),
    logoutRoute(deps),
    ...userRoutes(deps),
    ...applicationRoutes(deps),
    ...idpRoutes(deps),
    ...operationRoutes(deps),
  ];
  return [...sessionRoutes(deps), ...pages.map((page) => ({ ...page, before: [...signedIn, ...(page.before ?? [])] }))];
}

/** The console as one route group: the page stack (error page, form bodies, CSRF), then the records. */
export function consoleGroup(deps: ConsoleDeps): Middleware {
  return mountRoutes({ prefix: CONSOLE_PATH, steps: formRouteStack(deps), routes: consoleRoutes(deps), answerUnknownMethods: true });
}
