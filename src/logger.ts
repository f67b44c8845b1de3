/**
 * pino factory: the single redaction list and the security-event helper. Nothing else
 * configures logging, so secrets cannot leak through a second, forgotten logger.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { type DestinationStream, type Logger, pino } from 'pino';

/** Every field that may carry a secret, wherever it appears in a log object. */
const REDACTED_FIELDS = [
  'authorization',
  'cookie',
  'set-cookie',
  'password',
  'new_password',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'id_token_hint',
  'code_verifier',
  'client_secret',
  'client_assertion',
  'secret',
  'csrf',
  'registration_access_token',
];

const redactPaths = [
  ...REDACTED_FIELDS.flatMap((field) => {
    const key = /^[a-z_]+$/.test(field) ? field : `["${field}"]`;
    const dotted = key.startsWith('[') ? key : `.${key}`;
    return [key, `*${dotted}`, `*.*${dotted}`, `req.headers${dotted}`, `res.headers${dotted}`];
  }),
  // `code` is an authorization code only in request data; elsewhere (err.code) it is a diagnosis.
  'body.code',
  'query.code',
  'params.code',
  '*.body.code',
  '*.query.code',
];

export type { Logger };

/** The request being served (http/request-logging.ts runs each request inside it). */
export const requestScope = new AsyncLocalStorage<{ requestId: string }>();

/**
 * Fields every line gets: the request id of the request being served, and the trace and span ids
 * when tracing is on (with it off, `getActiveSpan` finds no context and this adds nothing).
 */
function correlation(): Record<string, string> {
  const request = requestScope.getStore();
  const span = trace.getActiveSpan()?.spanContext();
  return {
    ...(request ? { requestId: request.requestId } : {}),
    ...(span && isSpanContextValid(span) ? { traceId: span.traceId, spanId: span.spanId } : {}),
  };
}

export function createLogger(options: { level: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'gatehouse' },
      redact: { paths: redactPaths, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
      mixin: correlation,
    },
    options.destination,
  );
}

/**
 * A security event: one warn-level line with a stable `event` name. Callers pass identifiers
 * (client id, grant id, ip), never token values.
 */
export function securityEvent(logger: Logger, event: string, fields: Record<string, unknown>): void {
  logger.warn({ event, ...fields }, event);
}
