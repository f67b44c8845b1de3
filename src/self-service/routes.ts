/**
 * The account pages — a sitemap:
 *
 *   GET  /account                          sessions, connected apps, password, sign out everywhere
 *   GET  /account/callback                 back from signing in (through the normal sign-in pages)
 *   POST /account/sessions/:uid/end        sign out one device
 *   POST /account/apps/:grantId/revoke     revoke an app's access (its grant and every token)
 *   POST /account/password                 change password (needs the current one)
 *   POST /account/logout-everywhere        end every session, revoke every app
 *   GET  /account/mfa                      set up an authenticator (QR code)
 *   POST /account/mfa                      confirm it with a first code; recovery codes shown once
 *   POST /account/mfa/disable              turn MFA off (needs the password and a current code)
 *
 * Identity comes from Gatehouse's own session cookie; signing in goes through the built-in
 * first-party client `gatehouse-account`, so the account pages get the same login, backoff and
 * audit as every app.
 */
import Router from '@koa/router';
import type { AccountService } from '../accounts/index.ts';
import type { AuditTrail } from '../audit/index.ts';
import { formRouteStack } from '../http/form-routes.ts';
import type { Views } from '../http/views.ts';
import type { Logger } from '../logger.ts';
import type { Mailer } from '../mail/index.ts';
import type { MfaService } from '../mfa/index.ts';
import type { LiveProvider } from '../oidc/live-provider.ts';
import type { SessionService } from '../sessions/index.ts';
import { changePassword, endSession, logoutEverywhere, revokeApp, showAccount } from './handlers.ts';
import { confirmMfa, disableMfa, startMfa } from './mfa.ts';

export interface SelfServiceDeps {
  provider: LiveProvider;
  accounts: AccountService;
  sessions: SessionService;
  mfa: MfaService;
  audit: AuditTrail;
  mailer: Mailer;
  views: Views;
  logger: Logger;
  issuer: string;
  accountClientId: string;
  secureCookies: boolean;
  bodyLimitBytes: number;
}

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
  router.post('/mfa/disable', disableMfa(deps));
  return router;
}
