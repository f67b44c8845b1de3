import type { Middleware } from 'koa';

/** CSP for Gatehouse's own pages: no script at all, styles only from our origin. */
export const PAGE_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self' data: https:",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every response; HSTS only where the issuer is https. */
export function securityHeaders(options: { hsts: boolean }): Middleware {
  return async (ctx, next) => {
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    if (options.hsts) ctx.set('Strict-Transport-Security', 'max-age=63072000; includeSubDomains');
    await next();
    if (ctx.response.is('html') && !ctx.response.get('Content-Security-Policy')) {
      ctx.set('Content-Security-Policy', PAGE_CSP);
    }
  };
}
