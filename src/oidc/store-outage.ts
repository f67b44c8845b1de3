/**
 * Store outages inside oidc-provider answer 503 `temporarily_unavailable` with Retry-After: as
 * OAuth JSON on protocol endpoints, as the error page on pages — never a 500, never a redirect
 * carrying the error back to the client.
 *
 * Two layers, one meaning: the adapter (and the refresh grant) throw TemporarilyUnavailable at
 * the source, which oidc-provider's own error handlers render; and `storeOutageAnswers`, the
 * outermost provider middleware, turns any store outage that escaped as a `server_error` (a
 * callback of ours — findAccount, loadExistingGrant, extraTokenClaims, an interaction check —
 * that reached a store) into the same answer.
 */
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { errors } from 'oidc-provider';
import { type StoreUnavailable, storeUnavailableIn } from '../errors.ts';
import { translateDatabaseError } from '../storage/pg-errors.ts';

const DESCRIPTION = 'Gatehouse is temporarily unavailable. Please try again in a moment.';

/** A store outage as oidc-provider renders errors: 503, shown as a page, never redirected. */
export class TemporarilyUnavailable extends errors.OIDCProviderError {
  override error_description = DESCRIPTION;
  constructor(options?: ErrorOptions) {
    super(503, 'temporarily_unavailable', options);
    this.expose = true;
    this.allow_redirect = false;
  }
}

/**
 * StoreUnavailable anywhere in an error's cause chain — or a raw driver error that means one
 * (belt and braces: every query module translates at the storage boundary already).
 */
export function storeOutageIn(error: unknown): StoreUnavailable | undefined {
  return storeUnavailableIn(error) ?? storeUnavailableIn(translateDatabaseError(error));
}

/** Rethrows a store outage as TemporarilyUnavailable; anything else unchanged. */
export function asProviderError(error: unknown): unknown {
  const outage = storeOutageIn(error);
  return outage && !(error instanceof TemporarilyUnavailable) ? new TemporarilyUnavailable({ cause: outage }) : error;
}

/**
 * The outermost provider middleware (register it with provider.use before any other). `onOutage`
 * is told of each outage once (for a warn-level log line instead of an error with a stack).
 */
export function storeOutageAnswers(
  provider: Provider,
  deps: { retryAfterSeconds: number; renderPage: (ctx: KoaContextWithOIDC) => Promise<void> | void; onOutage: (ctx: KoaContextWithOIDC, error: StoreUnavailable) => void },
) {
  const outages = new WeakMap<object, StoreUnavailable>();
  // oidc-provider's route error handlers answer a non-OIDC error with 500 server_error and emit
  // this event with the error; remember which of those were outages.
  provider.on('server_error', (ctx: KoaContextWithOIDC, error: unknown) => {
    const outage = storeOutageIn(error);
    if (outage) outages.set(ctx, outage);
  });

  const answer = async (ctx: KoaContextWithOIDC) => {
    ctx.status = 503;
    ctx.remove('Location');
    ctx.set('Cache-Control', 'no-store');
    if (ctx.accepts('json', 'html') === 'html' && ctx.oidc?.route !== 'token') {
      await deps.renderPage(ctx);
    } else {
      ctx.body = { error: 'temporarily_unavailable', error_description: DESCRIPTION };
    }
  };

  return async function storeOutages(ctx: KoaContextWithOIDC, next: () => Promise<void>) {
    try {
      await next();
    } catch (error) {
      // Thrown after the routes (a post-middleware such as logout revocation): not rendered yet.
      const outage = storeOutageIn(error);
      if (!outage) throw error;
      outages.set(ctx, outage);
      await answer(ctx);
    }
    const escaped = outages.get(ctx);
    if (escaped) {
      deps.onOutage(ctx, escaped);
      if (ctx.status !== 503 || ctx.get('Location')) await answer(ctx);
    }
    if (ctx.status === 503) ctx.set('Retry-After', String(deps.retryAfterSeconds));
  };
}
