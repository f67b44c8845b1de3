import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import { type Logger, requestScope } from '../logger.ts';
import type { Metrics } from '../ops/metrics.ts';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * One line per request with a request id (taken from X-Request-Id when well-formed). Only the
 * path is logged, never the query string: authorization requests carry state and hints there.
 */
export function requestLogging(logger: Logger, metrics?: Metrics): Middleware {
  return async (ctx, next) => {
    const incoming = ctx.get('x-request-id');
    const requestId = SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    const started = performance.now();
    try {
      await requestScope.run({ requestId }, next);
    } finally {
      const status = ctx.respond === false ? ctx.res.statusCode : ctx.status;
      const ms = performance.now() - started;
      logger.info({ requestId, method: ctx.method, path: ctx.path, status, ms: Math.round(ms) }, 'request');
      metrics?.observeRequest(ctx.path, ctx.method, status, ms / 1000);
    }
  };
}
