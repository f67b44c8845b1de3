/**
 * What every edge reads from a request, once: who is asking and from where (`requestOrigin`, for
 * the audit trail), the bearer token of the Authorization header (`bearerToken`), and for the
 * pages the browser's verified device cookie too (`requestFacts`). Works on oidc-provider's
 * context as well (its request id is the X-Request-Id response header).
 */
import type { Context } from 'koa';
import type { RequestFacts } from '../sign-in/index.ts';
import { readDeviceCookie } from './device-cookie.ts';

export interface RequestOrigin {
  ip: string;
  userAgent: string | undefined;
  requestId: string | undefined;
}

type RequestLike = Pick<Context, 'ip' | 'get' | 'res'> & { state?: Record<string, unknown> };

export function requestOrigin(ctx: RequestLike): RequestOrigin {
  const requestId = ctx.state?.requestId ?? ctx.res.getHeader('x-request-id');
  return { ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined, requestId: requestId ? String(requestId) : undefined };
}

/**
 * The token of `Authorization: Bearer <token>` (RFC 6750 §2.1; the scheme is case-insensitive),
 * or undefined. Its syntax is left to whoever verifies it (a JWT, a digest lookup, a comparison).
 */
export function bearerToken(authorization: string | undefined): string | undefined {
  return /^Bearer +([\x21-\x7e]{1,4096})$/i.exec(authorization ?? '')?.[1];
}

/** Who is asking, from where (and the browser's verified device cookie): what the sign-in flow and the audit trail need. */
export function requestFacts(ctx: Context, options: { secureCookies: boolean; clientId?: string }): RequestFacts {
  const origin = requestOrigin(ctx);
  return {
    ip: origin.ip,
    userAgent: ctx.get('user-agent'),
    requestId: origin.requestId ?? '',
    device: readDeviceCookie(ctx, options.secureCookies),
    clientId: options.clientId ?? '',
    ...(typeof ctx.state.locale === 'string' ? { locale: ctx.state.locale } : {}),
  };
}
