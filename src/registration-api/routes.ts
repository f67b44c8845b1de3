/**
 * The dynamic client registration endpoints (mounted only when GATEHOUSE_DCR_ENABLED):
 *
 *   POST   /register             RFC 7591: register a client (Bearer: an initial access token)
 *   GET    /register/:client_id  RFC 7592: read it     (Bearer: its registration access token)
 *   PUT    /register/:client_id  RFC 7592: replace it  (same token; checked against the same policy)
 *   DELETE /register/:client_id  RFC 7592: delete it   (same token)
 *
 * JSON in and out, never cached; errors are RFC 7591 §3.2.2 bodies from the one error map.
 */
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { AuditTrail } from '../audit/index.ts';
import { RegistrationRefused } from '../errors.ts';
import { errorMiddleware } from '../http/error-middleware.ts';
import { identityEncodingOnly } from '../http/form-routes.ts';
import type { Views } from '../http/views.ts';
import type { Logger } from '../logger.ts';
import type { RegistrationService, RequestOrigin } from '../registration/index.ts';
import { RateLimited, type SecurityService } from '../security/index.ts';

export const REGISTRATION_PATH = '/register';

export interface RegistrationRouteDeps {
  registration: RegistrationService;
  security: SecurityService;
  audit: AuditTrail;
  logger: Logger;
  views: Views;
  bodyLimitBytes: number;
}

function bearer(ctx: Context): string | undefined {
  return /^Bearer ([A-Za-z0-9\-._~+/]{1,512}=*)$/i.exec(ctx.get('authorization'))?.[1];
}

const origin = (ctx: Context): RequestOrigin => ({
  ip: ctx.ip,
  userAgent: ctx.get('user-agent') || undefined,
  requestId: ctx.state.requestId as string | undefined,
});

const noStore: Middleware = async (ctx, next) => {
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
  await next();
};

/** A JSON object body, or RFC 7591's invalid_client_metadata. */
const jsonOnly: Middleware = async (ctx, next) => {
  if (!ctx.is('application/json')) throw new RegistrationRefused('invalid_client_metadata', 'the request body must be application/json');
  await next();
};

export function createRegistrationRouter(deps: RegistrationRouteDeps): Router {
  const { registration } = deps;
  const router = new Router({ prefix: REGISTRATION_PATH });
  const body = bodyParser({ enableTypes: ['json'], jsonLimit: `${deps.bodyLimitBytes}b`, encoding: 'utf-8', jsonStrict: true });
  router.use(errorMiddleware({ logger: deps.logger, views: deps.views, json: true }), noStore);

  router.post('/', async (ctx, next) => {
    try {
      await deps.security.consume('clientRegistrationPerIp', ctx.ip);
    } catch (error) {
      if (error instanceof RateLimited) {
        deps.audit.record({ type: 'ratelimit.rejected', outcome: 'failure', ...origin(ctx), details: { path: ctx.path } });
      }
      throw error;
    }
    await next();
  }, identityEncodingOnly, jsonOnly, body, async (ctx) => {
    ctx.body = await registration.register({ initialAccessToken: bearer(ctx), body: ctx.request.body, origin: origin(ctx) });
    ctx.status = 201;
  });
  router.get('/:clientId', async (ctx) => {
    ctx.body = await registration.read(ctx.params.clientId!, bearer(ctx));
  });
  router.put('/:clientId', identityEncodingOnly, jsonOnly, body, async (ctx) => {
    ctx.body = await registration.update(ctx.params.clientId!, bearer(ctx), ctx.request.body, origin(ctx));
  });
  router.delete('/:clientId', async (ctx) => {
    await registration.remove(ctx.params.clientId!, bearer(ctx), origin(ctx));
    ctx.status = 204;
  });
  return router;
}
