import { createHash } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';
import type { Middleware } from 'koa';
import type { LiveProvider } from './live-provider.ts';

export const DISCOVERY_PATH = '/.well-known/openid-configuration';

interface Cached {
  headers: OutgoingHttpHeaders;
  body: Buffer;
  etag: string;
}

/**
 * Serves OpenID Provider Metadata from a copy of oidc-provider's own answer, with a strong ETag
 * (304 on match). The document depends only on the provider's configuration (Host and protocol
 * are pinned to the issuer before oidc-provider sees a request), so the first plain GET per
 * provider instance goes through oidc-provider and its response is kept; a new key set builds a
 * new provider and so a new copy. Requests with an Origin (CORS reflects it), a query string or
 * another method always go to oidc-provider.
 */
export function discoveryDocument(live: LiveProvider): Middleware {
  const cache = new WeakMap<object, Cached>();
  return async (ctx, next) => {
    if (ctx.path !== DISCOVERY_PATH || ctx.method !== 'GET' || ctx.querystring !== '' || ctx.get('origin')) return next();
    const provider = live.current();
    const hit = cache.get(provider);
    if (!hit) {
      keepResponse(ctx.res, (kept) => cache.set(provider, kept));
      return next();
    }
    ctx.set(hit.headers as Record<string, string>);
    ctx.set('ETag', hit.etag);
    if (ctx.get('if-none-match') === hit.etag) {
      ctx.status = 304;
      return;
    }
    ctx.body = hit.body;
  };
}

/** Copies a 200 response's body and headers (but the per-request ones) as oidc-provider ends it. */
function keepResponse(res: Parameters<Middleware>[0]['res'], keep: (cached: Cached) => void): void {
  const end = res.end;
  res.end = function endAndKeep(this: typeof res, ...args: unknown[]) {
    const [chunk] = args;
    if (res.statusCode === 200 && (typeof chunk === 'string' || Buffer.isBuffer(chunk))) {
      const body = Buffer.from(chunk);
      const { 'x-request-id': _id, 'content-length': _length, date: _date, ...headers } = res.getHeaders();
      keep({ headers, body, etag: `"${createHash('sha256').update(body).digest('base64url')}"` });
    }
    return (end as (...a: unknown[]) => typeof res).apply(this, args);
  } as typeof res.end;
}
