import { createHash } from 'node:crypto';
import type { Middleware } from 'koa';
import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import type { LiveProvider } from './live-provider.ts';

export const DISCOVERY_PATH = '/.well-known/openid-configuration';

interface Kept {
  /** A string: Node writes it with the headers in one write (see jwks-endpoint.ts). */
  body: string;
  etag: string;
}

/**
 * The discovery document each provider instance answered, serialized once. It depends only on the
 * provider's configuration (Host and protocol are pinned to the issuer before oidc-provider sees a
 * request), and a new key set builds a new provider: keyed by instance, the copy goes with it.
 */
const documents = new WeakMap<Provider, Kept>();

/** A plain GET of the document: no query, no Origin (CORS reflects it), so the answer is the same for all. */
function isPlainDiscoveryGet(ctx: { path: string; method: string; querystring: string; get(name: string): string }): boolean {
  return ctx.path === DISCOVERY_PATH && ctx.method === 'GET' && ctx.querystring === '' && !ctx.get('origin');
}

/**
 * oidc-provider middleware (provider.use, oidc/provider.ts): after its discovery route has set the
 * body, keeps that document for the instance. oidc-provider's documented extension point, reading
 * `ctx.body` after `await next()`.
 */
export async function keepDiscoveryDocument(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
  await next();
  if (ctx.oidc?.route !== 'discovery' || ctx.status !== 200 || !isPlainDiscoveryGet(ctx)) return;
  if (!ctx.body || typeof ctx.body !== 'object') return;
  let kept = documents.get(ctx.oidc.provider);
  if (!kept) {
    const body = JSON.stringify(ctx.body);
    kept = { body, etag: `"${createHash('sha256').update(body).digest('base64url')}"` };
    documents.set(ctx.oidc.provider, kept);
  }
  ctx.set('ETag', kept.etag);
}

/**
 * Serves OpenID Provider Metadata from the current provider's kept document, with a strong ETag
 * (304 on match), ahead of oidc-provider. Until the current instance has answered once, and for
 * requests with an Origin, a query string or another method, oidc-provider answers itself.
 */
export function discoveryDocument(live: LiveProvider): Middleware {
  return async (ctx, next) => {
    if (!isPlainDiscoveryGet(ctx)) return next();
    const kept = documents.get(live.current());
    if (!kept) return next();
    ctx.set('ETag', kept.etag);
    if (ctx.get('if-none-match') === kept.etag) {
      ctx.status = 304;
      return;
    }
    ctx.type = 'application/json; charset=utf-8';
    ctx.body = kept.body;
  };
}
