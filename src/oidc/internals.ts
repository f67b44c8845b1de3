/**
 * The only module that reaches into oidc-provider's internals (`oidc-provider/lib/...`).
 * Pinned to oidc-provider 9.13.3: an upgrade reviews this file and refresh-token-grant.ts.
 */

import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import introspectionSteps from 'oidc-provider/lib/actions/introspection.js';
import difference from 'oidc-provider/lib/helpers/_/difference.js';
import certificateThumbprint from 'oidc-provider/lib/helpers/certificate_thumbprint.js';
import { checkAttestBinding } from 'oidc-provider/lib/helpers/check_attest_binding.js';
import { boolean, resourceServer } from 'oidc-provider/lib/helpers/configuration_result.js';
import { applySSRFProtection } from 'oidc-provider/lib/helpers/fetch_request.js';
import * as formatters from 'oidc-provider/lib/helpers/formatters.js';
import {
  applyDpopBinding,
  applyMtlsBinding,
  checkAccountMismatch,
  createAccessToken,
  issueIdToken,
  validateAccount,
} from 'oidc-provider/lib/helpers/grant_common.js';
import * as grantHelpers from 'oidc-provider/lib/helpers/grants.js';
import resolveResource from 'oidc-provider/lib/helpers/resolve_resource.js';
import presence from 'oidc-provider/lib/helpers/validate_presence.js';
import instance from 'oidc-provider/lib/helpers/weak_cache.js';
import { clientSecretAccepted, isImportedClientSecret, type PreviousClientSecret } from '../clients/index.ts';
import type { Clock } from '../clock.ts';

export const internals = {
  difference,
  certificateThumbprint,
  checkAttestBinding,
  boolean,
  resourceServer,
  pluralize: formatters.pluralize as (word: string, count: number) => string,
  applyDpopBinding,
  applyMtlsBinding,
  checkAccountMismatch,
  createAccessToken,
  issueIdToken,
  validateAccount,
  resolveResource,
  presence,
  instance,
};

/** What oidc-provider's guard says when it cuts a connection to a special-use address. */
const SPECIAL_USE_REFUSAL = 'hostname resolves to a special-use IP address';

/**
 * The private-network policy of oidc-provider's own outbound calls (back-channel logout, jwks_uri,
 * sector_identifier_uri), for our other outbound calls (webhooks): an undici dispatcher that cuts
 * every connection whose peer address — checked after DNS resolution, so a name that resolves
 * inward is caught too — is loopback, private, link-local or otherwise special-use.
 * Undici is the one built into Node (fetch's own Agent), found as oidc-provider finds it.
 */
export function specialUseGuardDispatcher(): object {
  // Touching fetch's Response loads Node's bundled undici, which registers its global dispatcher.
  void Response;
  const registry = globalThis as unknown as Record<symbol, { constructor: new () => object } | undefined>;
  const Agent = (registry[Symbol.for('undici.globalDispatcher.2')] ?? registry[Symbol.for('undici.globalDispatcher.1')])?.constructor;
  if (!Agent) throw new Error('no undici Agent in this Node: cannot apply the private-network policy to outbound calls');
  return applySSRFProtection(new Agent()) as object;
}

/** Whether a fetch failed because the guard above refused the receiver's address. */
export function isSpecialUseRefusal(error: unknown): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if (current.message === SPECIAL_USE_REFUSAL) return true;
  }
  return false;
}

/** Grant helpers bound to a provider, as oidc-provider binds them for its own grant handlers. */
export function boundGrantHelpers(provider: Provider): Record<string, (...args: unknown[]) => unknown> {
  return Object.fromEntries(
    Object.entries(grantHelpers as Record<string, (...args: unknown[]) => unknown>).map(([name, helper]) => [
      name,
      helper.bind(undefined, provider),
    ]),
  );
}

/**
 * Client secrets are stored as SHA-256 digests (clients/client-secret.ts), so the comparison
 * oidc-provider makes against the stored metadata must hash the presented secret first; during a
 * rotation's overlap the previous secret (extra metadata `previous_client_secrets`) is accepted too.
 * A secret imported from django-oauth-toolkit is still Django's hash until its first use:
 * `importedSecrets` checks it with Django's hasher and re-stores it as a digest.
 */
export function compareClientSecretsAsDigests(
  provider: Provider,
  clock: Clock,
  importedSecrets?: { accept(clientId: string, stored: string, presented: string): Promise<boolean> },
): void {
  const prototype = (provider.Client as unknown as { prototype: Record<string, unknown> }).prototype;
  prototype.compareClientSecret = async function compareClientSecret(
    // Extra metadata keeps its snake_case name on the client instance.
    this: { clientId: string; clientSecret?: string; previous_client_secrets?: PreviousClientSecret[] },
    actual: string,
  ) {
    const nowSeconds = Math.floor(clock.now().getTime() / 1000);
    if (clientSecretAccepted({ current: this.clientSecret, previous: this.previous_client_secrets }, actual, nowSeconds)) return true;
    return importedSecrets !== undefined && isImportedClientSecret(this.clientSecret) && importedSecrets.accept(this.clientId, this.clientSecret, actual);
  };
}

/**
 * Every ID token (and the code, refresh and access tokens it comes with) carries `sid`, the
 * session's id for that client. oidc-provider 9.13.3 adds it only when the client registered
 * back-channel logout with `backchannel_logout_session_required` (`Client#includeSid`), or when
 * the claims parameter asks for it. Logout needs it on every ID token: an `id_token_hint` proves
 * the current session only if its `sid` is that session's (provider.ts, `hintFromThisSession`).
 */
export function includeSessionIdInIdTokens(provider: Provider): void {
  const prototype = (provider.Client as unknown as { prototype: Record<string, unknown> }).prototype;
  prototype.includeSid = function includeSid() {
    return true;
  };
}

/**
 * A client registered with `exact_redirect_port` (clients/) gets its redirect and post-logout
 * redirect URIs matched exactly, port included. oidc-provider 9.13.3 lets native clients use
 * any port on a registered loopback redirect URI (RFC 8252 §7.3), which lets any local process
 * that listens on another port receive the client's authorization responses.
 */
export function exactRedirectPortMatching(provider: Provider): void {
  type ClientInstance = { exact_redirect_port?: boolean; redirectUris?: string[]; postLogoutRedirectUris?: string[] };
  const prototype = (provider.Client as unknown as { prototype: Record<string, (this: ClientInstance, value: string) => boolean> }).prototype;
  for (const [method, registered] of [
    ['redirectUriAllowed', 'redirectUris'],
    ['postLogoutRedirectUriAllowed', 'postLogoutRedirectUris'],
  ] as const) {
    const anyLoopbackPort = prototype[method] as (this: ClientInstance, value: string) => boolean;
    prototype[method] = function uriAllowed(this: ClientInstance, value: string) {
      if (this.exact_redirect_port === true) return (this[registered] ?? []).includes(value);
      return anyLoopbackPort.call(this, value);
    };
  }
}

type Step = (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void>;
/** Answers an authenticated introspection request: sets `ctx.body` (oidc/introspection.ts). */
export type IntrospectionAnswer = (ctx: KoaContextWithOIDC) => Promise<void>;
const introspectionAnswers = new WeakMap<object, IntrospectionAnswer>();

/**
 * oidc-provider 9.13.3's introspection action is a list of named steps; two of them are replaced
 * for a provider that registers its own answer (oidc/introspection.ts):
 * - `rejectStructuredTokens` refuses every JWT with `400 unsupported_token_type`, where RFC 7662
 *   §2.2 wants `{"active": false}` at worst, and a resource server wants its JWTs described;
 * - `renderTokenResponse` lets only the client a token was issued to learn about it, and looks a
 *   token up in three stores at once whatever its shape or `token_type_hint`.
 * Client authentication, parameter parsing, `no-store` and the error handling stay upstream's.
 * The list is shared by every provider in the process, so the replacement steps fall back to
 * upstream's own unless this provider registered an answer. Applied once, at import, because
 * oidc-provider assembles its routes when a Provider is constructed.
 */
function forkIntrospectionSteps(): void {
  const steps = introspectionSteps as Step[];
  const replace = (name: string, make: (upstream: Step) => Step) => {
    const index = steps.findIndex((step) => step.name === name);
    if (index === -1) throw new Error(`oidc-provider introspection step ${name} not found: review oidc/internals.ts for this version`);
    steps[index] = make(steps[index]!);
  };
  replace('rejectStructuredTokens', (upstream) =>
    async function describeStructuredTokens(ctx, next) {
      if (introspectionAnswers.has(ctx.oidc.provider)) return next();
      return upstream(ctx, next);
    },
  );
  replace('renderTokenResponse', (upstream) =>
    async function answerIntrospection(ctx, next) {
      const answer = introspectionAnswers.get(ctx.oidc.provider);
      return answer ? answer(ctx) : upstream(ctx, next);
    },
  );
}
forkIntrospectionSteps();

/** The introspection answer for this provider's requests (see forkIntrospectionSteps). */
export function answerIntrospectionWith(provider: Provider, answer: IntrospectionAnswer): void {
  introspectionAnswers.set(provider, answer);
}

/**
 * Puts `wrap` around the handler oidc-provider registered for a grant type (its own handler keeps
 * doing the work); used to add a check upstream lacks, e.g. RFC 8628 `slow_down` (device-flow.ts).
 */
export function wrapGrantHandler(
  provider: Provider,
  grantType: string,
  wrap: (original: (ctx: unknown) => Promise<void>) => (ctx: unknown) => Promise<void>,
): void {
  const handlers = (instance(provider) as { grantTypeHandlers: Map<string, (ctx: unknown) => Promise<void>> }).grantTypeHandlers;
  const original = handlers.get(grantType);
  if (!original) throw new Error(`no handler registered for ${grantType}`);
  handlers.set(grantType, wrap(original));
}
