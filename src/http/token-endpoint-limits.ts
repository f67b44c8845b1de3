import type { Middleware } from 'koa';
import type { AuditTrail } from '../audit/index.ts';
import type { Logger } from '../logger.ts';
import { type LimitName, RateLimited, type SecurityService } from '../security/index.ts';
import { answerError, oauthRenderer } from './errors.ts';
import { requestOrigin } from './request-facts.ts';

interface EndpointLimits {
  perClient: LimitName;
  perIp?: LimitName;
}

/** The endpoints where clients authenticate, keyed by their one canonical path. */
const ENDPOINT_LIMITS: ReadonlyMap<string, EndpointLimits> = new Map<string, EndpointLimits>([
  ['/token', { perClient: 'tokenPerClient', perIp: 'tokenPerIp' }],
  ['/token/introspection', { perClient: 'introspectionPerClient' }],
  ['/token/revocation', { perClient: 'revocationPerClient' }],
  // Pushed authorization requests (RFC 9126, on by default in oidc-provider) authenticate the client too.
  ['/request', { perClient: 'tokenPerClient', perIp: 'tokenPerIp' }],
]);

/**
 * The limited endpoint a request path may reach, however it is spelled. oidc-provider's router
 * matches paths case-insensitively and with a trailing slash, so `/TOKEN` and `/token/` reach
 * the token endpoint. We fold more generously than it does (percent-decoding, Unicode case and
 * compatibility forms, repeated and trailing slashes), so a spelling the router might accept
 * after an upgrade is still recognised here.
 */
export function limitedEndpointOf(path: string): string | undefined {
  if (ENDPOINT_LIMITS.has(path)) return path;
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // malformed escapes: fold the raw path
  }
  const folded = decoded.normalize('NFKC').toLowerCase().replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
  return ENDPOINT_LIMITS.has(folded) ? folded : undefined;
}

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

/**
 * Rate limits on the token, introspection, revocation and pushed-authorization endpoints, checked
 * before oidc-provider does any work: failed client authentications per IP (5/min by default —
 * guessing secrets), then budgets per IP and per client. A 401 from the provider counts as a
 * failed authentication.
 *
 * Each endpoint answers on its canonical path only: any other spelling of it (`/TOKEN`,
 * `/token/`) is a 404 here, before oidc-provider's lenient router could serve it past the
 * limits and the audit trail.
 */
export function tokenEndpointLimits(deps: { security: SecurityService; audit: AuditTrail; logger: Logger }): Middleware {
  // These are OAuth endpoints whichever group the spelling reached: their refusals are OAuth JSON.
  const refuse = { logger: deps.logger, render: oauthRenderer };
  return async (ctx, next) => {
    const endpoint = limitedEndpointOf(ctx.path);
    if (!endpoint) return next();
    if (endpoint !== ctx.path) {
      answerError(ctx, Object.assign(new Error(`no such endpoint; use ${endpoint}`), { status: 404, expose: true }), refuse);
      return;
    }
    const limits = ctx.method === 'POST' ? ENDPOINT_LIMITS.get(endpoint) : undefined;
    if (!limits) return next();
    const clientId = basicClientId(ctx.get('authorization'));
    try {
      const wait = await deps.security.retryAfter('clientAuthFailuresPerIp', ctx.ip);
      if (wait > 0) throw new RateLimited(wait);
      if (limits.perIp) await deps.security.consume(limits.perIp, ctx.ip);
      if (clientId) await deps.security.consume(limits.perClient, clientId);
    } catch (error) {
      if (!(error instanceof RateLimited)) throw error;
      deps.audit.record({ type: 'ratelimit.rejected', outcome: 'failure', actor: clientId, ...requestOrigin(ctx), details: { path: ctx.path } });
      answerError(ctx, new RateLimited(error.retryAfter, `rate limit exceeded; retry after ${error.retryAfter} seconds`), refuse);
      return;
    }
    // The client may have hung up while we waited on Redis: nothing left to answer.
    if (ctx.req.destroyed) return;
    await next();
    if (ctx.res.statusCode === 401) {
      await deps.security.penalize('clientAuthFailuresPerIp', ctx.ip);
      deps.audit.record({ type: 'client_auth.failure', outcome: 'failure', actor: clientId, ...requestOrigin(ctx), details: { path: ctx.path } });
    }
  };
}
