/**
 * The account pages — a sitemap, one record per route (http/route.ts):
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
 *   POST /account/passkeys/options         a WebAuthn registration challenge bound to this session (JSON)
 *   POST /account/passkeys                 add a named passkey
 *   POST /account/passkeys/:id/rename      rename one
 *   POST /account/passkeys/proof-options   a challenge to prove a passkey before removing the last factor (JSON)
 *   POST /account/passkeys/:id/remove      remove one (the last factor needs a passkey assertion first)
 *   POST /account/links/remove             remove a link to an upstream identity provider (not the last way in)
 *
 * Identity comes from Gatehouse's own session cookie, under the same idle rule as authorization
 * requests; signing in goes through the built-in first-party client `gatehouse-account`, so the
 * account pages get the same login, backoff and audit as every app.
 */
import { z } from 'zod';
import { errorKind, errorPageHtml } from '../http/errors.ts';
import { type Route, route } from '../http/route.ts';
import type { SelfServiceDeps } from './context.ts';
import { changePassword, endSession, logoutEverywhere, passwordForm, revokeApp, showAccount, unlinkForm, unlinkProvider } from './handlers.ts';
import { codeForm, confirmForm, confirmMfa, disableForm, disableMfa, enrolmentQuery, replaceMfa, startMfa } from './mfa.ts';
import {
  addPasskey,
  addPasskeyForm,
  passkeyIdParam,
  passkeyProofOptions,
  passkeyRegistrationOptions,
  removePasskey,
  removePasskeyForm,
  renamePasskey,
  renamePasskeyForm,
} from './passkeys.ts';

export type { SelfServiceDeps } from './context.ts';

export const ACCOUNT_PATH = '/account';

/** What oidc-provider sends back to the account client: a code (unused), or an error (RFC 6749 §4.1.2.1). */
const callbackQuery = z.object({
  error: z.string().max(100).optional().catch(undefined),
  error_description: z.string().max(500).optional().catch(undefined),
});

export function selfServiceRoutes(deps: SelfServiceDeps): Route[] {
  return [
    route({ method: 'get', path: '/', handle: showAccount(deps) }),
    route({
      method: 'get',
      path: '/callback',
      query: callbackQuery,
      handle: (ctx, { query }: { query: z.output<typeof callbackQuery> }) => {
        // The sign-in was cancelled or refused: say so, rather than starting it again at once.
        if (query.error) {
          ctx.status = 403;
          ctx.set('Cache-Control', 'no-store');
          ctx.body = errorPageHtml(deps.views, ctx.state.locale, {
            kind: errorKind({ status: 403, code: query.error }),
            developerDetail: `${query.error}${query.error_description ? `: ${query.error_description}` : ''}`,
            requestId: String(ctx.state.requestId ?? ''),
          });
          return;
        }
        ctx.status = 303;
        ctx.redirect(ACCOUNT_PATH);
      },
    }),
    route({ method: 'post', path: '/sessions/:uid/end', handle: endSession(deps) }),
    route({ method: 'post', path: '/apps/:grantId/revoke', handle: revokeApp(deps) }),
    route({ method: 'post', path: '/password', body: passwordForm, handle: changePassword(deps) }),
    route({ method: 'post', path: '/logout-everywhere', handle: logoutEverywhere(deps) }),
    route({ method: 'get', path: '/mfa', query: enrolmentQuery, handle: startMfa(deps) }),
    route({ method: 'post', path: '/mfa', body: confirmForm, handle: confirmMfa(deps) }),
    route({ method: 'post', path: '/mfa/replace', body: codeForm, handle: replaceMfa(deps) }),
    route({ method: 'post', path: '/mfa/disable', body: disableForm, handle: disableMfa(deps) }),
    route({ method: 'post', path: '/passkeys/options', handle: passkeyRegistrationOptions(deps) }),
    route({ method: 'post', path: '/passkeys/proof-options', handle: passkeyProofOptions(deps) }),
    route({ method: 'post', path: '/passkeys', body: addPasskeyForm, handle: addPasskey(deps) }),
    route({ method: 'post', path: '/passkeys/:id/rename', params: passkeyIdParam, body: renamePasskeyForm, handle: renamePasskey(deps) }),
    route({ method: 'post', path: '/passkeys/:id/remove', params: passkeyIdParam, body: removePasskeyForm, handle: removePasskey(deps) }),
    route({ method: 'post', path: '/links/remove', body: unlinkForm, handle: unlinkProvider(deps) }),
  ];
}
