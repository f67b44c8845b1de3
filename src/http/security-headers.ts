import type { Middleware } from 'koa';

/**
 * CSP for every HTML response: no inline script or style. Our pages load same-origin scripts only;
 * oidc-provider's form_post page adds the hash of its one auto-submit script to `script-src`.
 * `connect-src 'self'`: the passkey script fetches its WebAuthn challenge from the same origin.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "connect-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: https:",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Production serves https only: plain-http page loads are redirected, anything else refused.
 * Probes are exempt, as orchestrators call them over plain http from inside the network.
 *
 * The redirect goes to the configured issuer's origin, never to the request's Host (which
 * `X-Forwarded-Host` sets behind a trusted proxy): a forged header must not turn a cached 301
 * into a redirect to another site. Only the parsed path and query are kept, appended as text
 * rather than resolved as a URL, so neither an absolute-form request target nor `//evil.example/`
 * can change the host.
 */
export function httpsOnly(options: { enabled: boolean; issuer: string }): Middleware {
  const origin = new URL(options.issuer).origin;
  return async (ctx, next) => {
    if (!options.enabled || ctx.secure || PROBES.has(ctx.path)) return next();
    if (ctx.method === 'GET' || ctx.method === 'HEAD') {
      ctx.status = 301;
      ctx.redirect(`${origin}${ctx.path}${ctx.search}`);
      return;
    }
    // Thrown: the group's error boundary renders it (OAuth JSON, a page, or a problem document).
    ctx.throw(403, 'https is required');
  };
}

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
