import type { Middleware } from 'koa';
import { GatehouseError, type GatehouseErrorCode, RegistrationRefused, storeUnavailableIn } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Views } from './views.ts';

/** The one map from Gatehouse error codes to HTTP. */
export const STATUS: Record<GatehouseErrorCode, number> = {
  invalid_credentials: 401,
  not_found: 404,
  conflict: 409,
  validation_failed: 400,
  csrf_failed: 403,
  rate_limited: 429,
  unavailable: 503,
  forbidden: 403,
  registration_refused: 400,
  invalid_token: 401,
};

const HEADINGS = new Set([400, 403, 404, 413, 429, 503]);

interface HttpishError {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  error?: string;
  error_description?: string;
  message?: string;
}

/**
 * Renders every error from Gatehouse's own routes: an HTML page (or JSON when asked for), with a
 * request id and never a stack trace. Unknown errors become a 500 that says nothing.
 */
export function errorMiddleware(deps: { logger: Logger; views: Views; /** JSON APIs answer JSON whatever Accept says. */ json?: boolean }): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (caught) {
      const error = caught as HttpishError;
      let status = 500;
      let message = 'error.server';
      let code = 'server_error';
      const outage = storeUnavailableIn(caught);
      if (outage) {
        // Also when it comes wrapped, e.g. from oidc-provider's interactionDetails as its 503.
        status = STATUS.unavailable;
        message = 'error.temporarily_unavailable';
        code = 'temporarily_unavailable';
        ctx.set('Retry-After', String(outage.retryAfter));
      } else if (caught instanceof GatehouseError) {
        status = STATUS[caught.code];
        message = caught.code === 'csrf_failed' ? 'error.csrf_failed' : caught.message;
        code = caught instanceof RegistrationRefused ? caught.error : caught.code;
      } else if (typeof (error.status ?? error.statusCode) === 'number' && (error.status ?? error.statusCode)! < 500) {
        status = (error.status ?? error.statusCode)!;
        code = error.error ?? 'invalid_request';
        message = error.error_description ?? (error.expose && error.message ? error.message : 'The request was not valid.');
      }
      const requestId = String(ctx.state.requestId ?? '');
      if (status === 503) deps.logger.warn({ err: caught, requestId }, 'store unavailable: answered 503');
      else if (status >= 500) deps.logger.error({ err: caught, requestId }, 'request failed');
      ctx.status = status;
      if (caught instanceof GatehouseError && caught.code === 'rate_limited' && 'retryAfter' in caught) {
        ctx.set('Retry-After', String((caught as { retryAfter: number }).retryAfter));
      }
      if (caught instanceof GatehouseError && caught.code === 'invalid_token') ctx.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      if (deps.json || ctx.accepts('html', 'json') === 'json') {
        ctx.body = { error: code, error_description: message };
      } else {
        ctx.type = 'html';
        ctx.body = deps.views.render('error', { locale: ctx.state.locale,  heading: HEADINGS.has(status) ? `error.heading.${status}` : undefined, message, requestId });
      }
    }
  };
}
