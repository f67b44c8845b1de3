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
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import type { AuditTrail } from '../audit/index.ts';
import { RegistrationRefused } from '../errors.ts';
import { identityEncodingOnly } from '../http/form-routes.ts';
import { bearerToken, requestOrigin } from '../http/request-facts.ts';
import { route } from '../http/route.ts';
import type { RouteTable } from '../http/router.ts';
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

const bearer = (ctx: Context) => bearerToken(ctx.get('authorization'));
const origin = (ctx: Context): RequestOrigin => requestOrigin(ctx);

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

/** The /register route table (http/route.ts); mounted by app.ts in the JSON group. */
export function registrationRoutes(deps: RegistrationRouteDeps): RouteTable {
  const { registration } = deps;
  const body = bodyParser({ enableTypes: ['json'], jsonLimit: `${deps.bodyLimitBytes}b`, encoding: 'utf-8', jsonStrict: true });
  const perIpLimit: Middleware = async (ctx, next) => {
    try {
      await deps.security.consume('clientRegistrationPerIp', ctx.ip);
    } catch (error) {
      if (error instanceof RateLimited) {
        deps.audit.record({ type: 'ratelimit.rejected', outcome: 'failure', ...origin(ctx), details: { path: ctx.path } });
      }
      throw error;
    }
    await next();
  };
  const clientId = z.object({ clientId: z.string() });
  return {
    prefix: REGISTRATION_PATH,
    // Errors: the JSON group's OAuth boundary (app.ts) renders them, never cached.
    steps: [noStore],
    answerUnknownMethods: true,
    routes: [
      route({
        method: 'post',
        path: '/',
        before: [perIpLimit, identityEncodingOnly, jsonOnly, body],
        handle: async (ctx, input) => {
          ctx.body = await registration.register({ initialAccessToken: bearer(ctx), body: input.body, origin: origin(ctx) });
          ctx.status = 201;
        },
      }),
      route({
        method: 'get',
        path: '/:clientId',
        params: clientId,
        handle: async (ctx, { params }) => {
          ctx.body = await registration.read(params.clientId, bearer(ctx));
        },
      }),
      route({
        method: 'put',
        path: '/:clientId',
        params: clientId,
        before: [identityEncodingOnly, jsonOnly, body],
        handle: async (ctx, { params, body: metadata }) => {
          ctx.body = await registration.update(params.clientId, bearer(ctx), metadata, origin(ctx));
        },
      }),
      route({
        method: 'delete',
        path: '/:clientId',
        params: clientId,
        handle: async (ctx, { params }) => {
          await registration.remove(params.clientId, bearer(ctx), origin(ctx));
          ctx.status = 204;
        },
      }),
    ],
  };
}
