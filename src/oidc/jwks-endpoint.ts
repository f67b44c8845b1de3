import { createHash } from 'node:crypto';
import type { Middleware } from 'koa';
import type { KeyView } from '../keys/index.ts';

export interface JwksDocument {
  update(view: KeyView): void;
  middleware(): Middleware;
}

/**
 * Serves /jwks from a precomputed body: public keys only, a strong ETag (304 on match) and
 * Cache-Control no longer than the publish lead (config enforces max-age ≤ lead).
 */
export function createJwksDocument(initial: KeyView, options: { path: string; maxAge: number }): JwksDocument {
  // A string, not a Buffer: Node writes a string body with the headers in one write (a Buffer
  // body costs a writev of both), the one difference left against bare oidc-provider here.
  let body = '';
  let etag = '';
  const update = (view: KeyView) => {
    body = JSON.stringify({ keys: view.publicJwks });
    etag = `"${createHash('sha256').update(body).digest('base64url')}"`;
  };
  update(initial);
  return {
    update,
    middleware: () => async (ctx, next) => {
      if (ctx.path !== options.path || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
      ctx.set('Cache-Control', `public, max-age=${options.maxAge}`);
      ctx.set('ETag', etag);
      ctx.set('Access-Control-Allow-Origin', '*');
      if (ctx.get('if-none-match') === etag) {
        ctx.status = 304;
        return;
      }
      ctx.type = 'application/jwk-set+json; charset=utf-8';
      ctx.body = body;
    },
  };
}
