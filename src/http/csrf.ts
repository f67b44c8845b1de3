import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import { CsrfFailed } from '../errors.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function equalTokens(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Signed double-submit token: a random value in an HttpOnly, signed, SameSite cookie that every
 * form must echo in its `csrf` field. Runs after the body parser.
 */
export function csrfProtection(options: { secureCookies: boolean }): Middleware {
  const name = options.secureCookies ? '__Host-gatehouse.csrf' : 'gatehouse.csrf';
  return async (ctx, next) => {
    let token = ctx.cookies.get(name, { signed: true });
    if (!token) {
      token = randomBytes(32).toString('base64url');
      ctx.cookies.set(name, token, {
        signed: true,
        httpOnly: true,
        sameSite: 'lax',
        secure: options.secureCookies,
        path: '/',
        overwrite: true,
      });
      if (!SAFE_METHODS.has(ctx.method)) throw new CsrfFailed();
    }
    if (!SAFE_METHODS.has(ctx.method)) {
      const presented = (ctx.request as { body?: Record<string, unknown> }).body?.csrf;
      if (typeof presented !== 'string' || !equalTokens(presented, token)) throw new CsrfFailed();
    }
    ctx.state.csrf = token;
    await next();
  };
}
