/**
 * The browser pages behind oidc-provider's interaction URL — a sitemap, one record per route
 * (method, path, form schema, handler; http/route.ts). Input is validated by the router.
 *
 *   GET  /interaction/:uid          show the page the current prompt needs (login or consent)
 *   POST /interaction/:uid/login    check email + password (sign-in flow), finish the login prompt or go on
 *   GET  /interaction/:uid/register   create an account (when registration is on), verified by mail
 *   POST /interaction/:uid/resend-verification   a new verification link (rate-limited per account)
 *   GET  /interaction/:uid/mfa      second factor: enter a code, or set one up when policy requires it
 *   POST /interaction/:uid/mfa      verify a TOTP or recovery code, finish the login prompt
 *   POST /interaction/:uid/mfa/enrol   confirm a new authenticator, show recovery codes once
 *   POST /interaction/:uid/mfa/done    after the recovery codes: finish the login prompt
 *   POST /interaction/:uid/passkey/options   a WebAuthn challenge bound to this interaction (JSON)
 *   POST /interaction/:uid/passkey  a passkey assertion: the second factor, or passwordless sign-in
 *   POST /interaction/:uid/confirm  record consent in a Grant, finish the consent prompt
 *   POST /interaction/:uid/abort    the user said no: access_denied back to the client
 *   GET  /interaction/:uid/upstream/:provider, GET /interaction/:uid/upstream, POST /interaction/:uid/link
 *                                   sign in through an upstream identity provider (upstream.ts)
 */
import { type Route, route, withoutInput } from '../http/route.ts';
import { abortInteraction, confirmConsent } from './consent.ts';
import type { InteractionDeps } from './context.ts';
import { loginForm, showInteraction, submitLogin } from './login.ts';
import { codeForm, finishAfterRecoveryCodes, showMfa, submitMfa, submitMfaEnrolment } from './mfa.ts';
import { passkeyForm, passkeyOptions, submitPasskey } from './passkey.ts';
import { registerForm, resendVerification, showRegistration, submitRegistration } from './register.ts';
import { linkForm, providerParam, returnFromUpstream, startUpstream, submitLink } from './upstream.ts';

export type { InteractionDeps } from './context.ts';
export { FEDERATION_PATH, federationCallbackRoutes } from './upstream.ts';

export function interactionRoutes(deps: InteractionDeps): Route[] {
  return [
    route({ method: 'get', path: '/:uid', handle: withoutInput(showInteraction(deps)) }),
    route({ method: 'post', path: '/:uid/login', body: loginForm, handle: submitLogin(deps) }),
    route({ method: 'get', path: '/:uid/register', handle: withoutInput(showRegistration(deps)) }),
    route({ method: 'post', path: '/:uid/register', body: registerForm, handle: submitRegistration(deps) }),
    route({ method: 'post', path: '/:uid/resend-verification', handle: withoutInput(resendVerification(deps)) }),
    route({ method: 'get', path: '/:uid/mfa', handle: withoutInput(showMfa(deps)) }),
    route({ method: 'post', path: '/:uid/mfa', body: codeForm, handle: submitMfa(deps) }),
    route({ method: 'post', path: '/:uid/mfa/enrol', body: codeForm, handle: submitMfaEnrolment(deps) }),
    route({ method: 'post', path: '/:uid/mfa/done', handle: withoutInput(finishAfterRecoveryCodes(deps)) }),
    route({ method: 'post', path: '/:uid/passkey/options', handle: withoutInput(passkeyOptions(deps)) }),
    route({ method: 'post', path: '/:uid/passkey', body: passkeyForm, handle: submitPasskey(deps) }),
    route({ method: 'post', path: '/:uid/confirm', handle: withoutInput(confirmConsent(deps)) }),
    route({ method: 'post', path: '/:uid/abort', handle: withoutInput(abortInteraction(deps)) }),
    route({ method: 'get', path: '/:uid/upstream/:provider', params: providerParam, handle: startUpstream(deps) }),
    route({ method: 'get', path: '/:uid/upstream', handle: returnFromUpstream(deps) }),
    route({ method: 'post', path: '/:uid/link', body: linkForm, handle: submitLink(deps) }),
  ];
}
