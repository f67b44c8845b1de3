/**
 * The browser pages behind oidc-provider's interaction URL — a sitemap:
 *
 *   GET  /interaction/:uid          show the page the current prompt needs (login or consent)
 *   POST /interaction/:uid/login    check email + password (sign-in flow), finish the login prompt or go on
 *   GET  /interaction/:uid/register   create an account (when registration is on), verified by mail
 *   POST /interaction/:uid/resend-verification   a new verification link (rate-limited per account)
 *   GET  /interaction/:uid/mfa      second factor: enter a code, or set one up when policy requires it
 *   POST /interaction/:uid/mfa      verify a TOTP or recovery code, finish the login prompt
 *   POST /interaction/:uid/mfa/enrol   confirm a new authenticator, show recovery codes once
 *   POST /interaction/:uid/mfa/done    after the recovery codes: finish the login prompt
 *   POST /interaction/:uid/confirm  record consent in a Grant, finish the consent prompt
 *   POST /interaction/:uid/abort    the user said no: access_denied back to the client
 *   GET  /interaction/:uid/upstream/:provider, GET /interaction/:uid/upstream, POST /interaction/:uid/link
 *                                   sign in through an upstream identity provider (upstream.ts)
 */
import Router from '@koa/router';
import { formRouteStack } from '../http/form-routes.ts';
import { INTERACTION_PATH } from '../oidc/provider.ts';
import { abortInteraction, confirmConsent } from './consent.ts';
import type { InteractionDeps } from './context.ts';
import { showInteraction, submitLogin } from './login.ts';
import { finishAfterRecoveryCodes, showMfa, submitMfa, submitMfaEnrolment } from './mfa.ts';
import { resendVerification, showRegistration, submitRegistration } from './register.ts';
import { returnFromUpstream, startUpstream, submitLink } from './upstream.ts';


export type { InteractionDeps } from './context.ts';
export { createFederationCallbackRouter } from './upstream.ts';

export function createInteractionRouter(deps: InteractionDeps): Router {
  const router = new Router({ prefix: INTERACTION_PATH });
  router.use(...formRouteStack(deps));
  router.get('/:uid', showInteraction(deps));
  router.post('/:uid/login', submitLogin(deps));
  router.get('/:uid/register', showRegistration(deps));
  router.post('/:uid/register', submitRegistration(deps));
  router.post('/:uid/resend-verification', resendVerification(deps));
  router.get('/:uid/mfa', showMfa(deps));
  router.post('/:uid/mfa', submitMfa(deps));
  router.post('/:uid/mfa/enrol', submitMfaEnrolment(deps));
  router.post('/:uid/mfa/done', finishAfterRecoveryCodes(deps));
  router.post('/:uid/confirm', confirmConsent(deps));
  router.post('/:uid/abort', abortInteraction(deps));
  router.get('/:uid/upstream/:provider', startUpstream(deps));
  router.get('/:uid/upstream', returnFromUpstream(deps));
  router.post('/:uid/link', submitLink(deps));
  return router;
}
