/**
 * The account pages — a sitemap:
 *
 *   GET  /account                          sessions, connected apps, password, sign out everywhere
 *   GET  /account/callback                 back from signing in (through the normal sign-in pages)
 *   POST /account/sessions/:uid/end        sign out one device
 *   POST /account/apps/:grantId/revoke     revoke an app's access (its grant and every token)
 *   POST /account/password                 change password (needs the current one; sign-in limits)
 *   POST /account/logout-everywhere        end every session, revoke every app
 *   GET  /account/mfa                      set up an authenticator (QR code) when MFA is off
 *   POST /account/mfa                      confirm it with a first code; recovery codes shown once
 *   POST /account/mfa/replace              replace the authenticator (needs a current or recovery code)
 *   POST /account/mfa/disable              turn MFA off (needs the password and a current code)
 *   POST /account/links/remove             remove a link to an upstream identity provider (not the last way in)
 *
 * Identity comes from Gatehouse's own session cookie, under the same idle rule as authorization
 * requests; signing in goes through the built-in first-party client `gatehouse-account`, so the
 * account pages get the same login, backoff and audit as every app.
 */
import Router from '@koa/router';
import { formRouteStack } from '../http/form-routes.ts';
import type { SelfServiceDeps } from './context.ts';
import { changePassword, endSession, logoutEverywhere, revokeApp, showAccount, unlinkProvider } from './handlers.ts';
import { confirmMfa, disableMfa, replaceMfa, startMfa } from './mfa.ts';

export type { SelfServiceDeps } from './context.ts';

export function createSelfServiceRouter(deps: SelfServiceDeps): Router {
  const router = new Router({ prefix: '/account' });
  router.use(...formRouteStack(deps));
  router.get('/', showAccount(deps));
  router.get('/callback', (ctx) => {
    ctx.status = 303;
    ctx.redirect('/account');
  });
  router.post('/sessions/:uid/end', endSession(deps));
  router.post('/apps/:grantId/revoke', revokeApp(deps));
  router.post('/password', changePassword(deps));
  router.post('/logout-everywhere', logoutEverywhere(deps));
  router.get('/mfa', startMfa(deps));
  router.post('/mfa', confirmMfa(deps));
  router.post('/mfa/replace', replaceMfa(deps));
  router.post('/mfa/disable', disableMfa(deps));
  router.post('/links/remove', unlinkProvider(deps));
  return router;
}
