import type { Middleware } from 'koa';
import type { AuditTrail } from '../audit/index.ts';
import { type LimitName, RateLimited, type SecurityService } from '../security/index.ts';

const ENDPOINT_LIMITS: Record<string, { perClient: LimitName; perIp?: LimitName }> = {
  '/token': { perClient: 'tokenPerClient', perIp: 'tokenPerIp' },
  '/token/introspection': { perClient: 'introspectionPerClient' },
  '/token/revocation': { perClient: 'revocationPerClient' },
};

/** The client id of an HTTP Basic header (client_secret_basic), without trusting anything else in it. */
function basicClientId(header: string): string | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]{1,1024})$/.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  try {
    return decodeURIComponent(decoded.slice(0, colon)).slice(0, 256);
  } catch {
    return undefined;
  }
}

function tooMany(ctx: Parameters<Middleware>[0], error: RateLimited) {
  ctx.status = 429;
  ctx.set('Retry-After', String(error.retryAfter));
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error: 'too_many_requests', error_description: `rate limit exceeded; retry after ${error.retryAfter} seconds` };
}

/**
 * Rate limits on the token, introspection and revocation endpoints, checked before oidc-provider
 * does any work: failed client authentications per IP (5/min by default — guessing secrets),
 * then budgets per IP and per client. A 401 from the provider counts as a failed authentication.
 */
export function tokenEndpointLimits(deps: { security: SecurityService; audit: AuditTrail }): Middleware {
  return async (ctx, next) => {
    const limits = ctx.method === 'POST' ? ENDPOINT_LIMITS[ctx.path] : undefined;
    if (!limits) return next();
    const clientId = basicClientId(ctx.get('authorization'));
    try {
      const wait = await deps.security.retryAfter('clientAuthFailuresPerIp', ctx.ip);
      if (wait > 0) throw new RateLimited(wait);
      if (limits.perIp) await deps.security.consume(limits.perIp, ctx.ip);
      if (clientId) await deps.security.consume(limits.perClient, clientId);
    } catch (error) {
      if (!(error instanceof RateLimited)) throw error;
      deps.audit.record({ type: 'ratelimit.rejected', outcome: 'failure', actor: clientId, ip: ctx.ip, requestId: ctx.state.requestId, details: { path: ctx.path } });
      tooMany(ctx, error);
      return;
    }
    // The client may have hung up while we waited on Redis: nothing left to answer.
    if (ctx.req.destroyed) return;
    await next();
    if (ctx.res.statusCode === 401) {
      await deps.security.penalize('clientAuthFailuresPerIp', ctx.ip);
      deps.audit.record({ type: 'client_auth.failure', outcome: 'failure', actor: clientId, ip: ctx.ip, userAgent: ctx.get('user-agent'), requestId: ctx.state.requestId, details: { path: ctx.path } });
    }
  };
}
