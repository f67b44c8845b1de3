/**
 * The admin console — a sitemap. Every page reads and every form writes through the admin API
 * (/admin/v1 route records, in-process through the same dispatch as the CLI) with the signed-in
 * operator's own access token: the console has no other way to the data, and each action leaves
 * the admin API's audit event.
 *
 *   GET  /console                         → /console/users
 *   GET  /console/callback                back from signing in (code + PKCE, redeemed server-side)
 *   GET  /console/signed-out              after logout
 *   POST /console/logout                  ends the console session and the Gatehouse session
 *   GET  /console/users                   search (email or name, role)
 *   GET  /console/users/new               create or invite
 *   POST /console/users
 *   GET  /console/users/:id               roles, groups, sessions, grants, recent audit events
 *   POST /console/users/:id/:action       disable | enable | rename | grant-role | revoke-role | join-group |
 *                                         leave-group | reset-mfa | end-sessions | revoke-grant | send-reset
 *   GET  /console/clients                 applications
 *   GET  /console/clients/new?kind=       the wizard (spa | web | service | native)
 *   POST /console/clients                 → the secret, shown once
 *   GET  /console/clients/:id
 *   POST /console/clients/:id/secret      rotate (with overlap) → the new secret, shown once
 *   POST /console/clients/:id/redirects   edit redirect URIs
 *   POST /console/clients/:id/delete      typed confirmation
 *   GET  /console/apis   POST /console/apis
 *   GET  /console/keys   POST /console/keys/rotate   POST /console/keys/:kid/revoke (typed confirmation)
 *   GET  /console/audit  POST /console/audit/verify
 *   GET  /console/roles  POST /console/roles   POST /console/groups
 *   GET  /console/registration  POST /console/registration (the token, shown once)  POST /console/registration/:id/revoke
 */
import Router from '@koa/router';
import type { Middleware } from 'koa';
import { formRouteStack } from '../http/form-routes.ts';
import { createApi, createClient, deleteClient, listApis, listClients, newClientForm, rotateSecret, showClient, updateRedirects } from './applications.ts';
import { AdminProblem, type ConsoleDeps, renderPage } from './context.ts';
import {
  auditTrail,
  createNamed,
  listInitialAccessTokens,
  listKeys,
  mintInitialAccessToken,
  revokeInitialAccessToken,
  revokeKey,
  rolesAndGroups,
  rotateKeys,
  verifyAudit,
} from './operations.ts';
import { callback, logout, requireOperator, signedOut } from './session.ts';
import { createUser, listUsers, newUserForm, showUser, userAction } from './users.ts';

export type { ConsoleDeps } from './context.ts';

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

export function createConsoleRouter(deps: ConsoleDeps): Router {
  const router = new Router({ prefix: '/console' });
  router.use(...formRouteStack(deps));
  router.get('/callback', callback(deps));
  router.get('/signed-out', signedOut(deps));

  const signedIn = new Router();
  signedIn.use(requireOperator(deps), adminProblems(deps));
  signedIn.get('/', (ctx) => {
    ctx.status = 303;
    ctx.redirect('/console/users');
  });
  signedIn.post('/logout', logout(deps));
  signedIn.get('/users', listUsers(deps));
  signedIn.get('/users/new', newUserForm(deps));
  signedIn.post('/users', createUser(deps));
  signedIn.get('/users/:id', showUser(deps));
  signedIn.post('/users/:id/:action', userAction(deps));
  signedIn.get('/clients', listClients(deps));
  signedIn.get('/clients/new', newClientForm(deps));
  signedIn.post('/clients', createClient(deps));
  signedIn.get('/clients/:id', showClient(deps));
  signedIn.post('/clients/:id/secret', rotateSecret(deps));
  signedIn.post('/clients/:id/redirects', updateRedirects(deps));
  signedIn.post('/clients/:id/delete', deleteClient(deps));
  signedIn.get('/apis', listApis(deps));
  signedIn.post('/apis', createApi(deps));
  signedIn.get('/keys', listKeys(deps));
  signedIn.post('/keys/rotate', rotateKeys(deps));
  signedIn.post('/keys/:kid/revoke', revokeKey(deps));
  signedIn.get('/audit', auditTrail(deps));
  signedIn.post('/audit/verify', verifyAudit(deps));
  signedIn.get('/roles', rolesAndGroups(deps));
  signedIn.post('/roles', createNamed(deps, 'roles'));
  signedIn.post('/groups', createNamed(deps, 'groups'));
  signedIn.get('/registration', listInitialAccessTokens(deps));
  signedIn.post('/registration', mintInitialAccessToken(deps));
  signedIn.post('/registration/:id/revoke', revokeInitialAccessToken(deps));
  router.use(signedIn.routes(), signedIn.allowedMethods());
  return router;
}
