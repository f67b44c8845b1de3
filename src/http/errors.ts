/**
 * The one error map: every error of Gatehouse's own routes is described once (status, code, a
 * message safe to show, Retry-After, input problems) and rendered by the renderer of the route's
 * group — an HTML page, an OAuth JSON body, or an RFC 9457 problem document. Unknown errors are a
 * 500 that says nothing. oidc-provider renders its own endpoints' errors (oidc/provider.ts).
 */
import type { Context, Middleware } from 'koa';
import statuses from 'statuses';
import { GatehouseError, type GatehouseErrorCode, RegistrationRefused, storeUnavailableIn } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Locale } from './i18n.ts';
import type { Views } from './views.ts';

/** Gatehouse error codes → HTTP status. */
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
  start_again: 400,
};

/** What is known about an error, whichever renderer shows it. */
export interface ErrorFacts {
  status: number;
  /** OAuth-style error code (`invalid_request`, `rate_limited`, RFC 7591's codes …); `server_error` when unknown. */
  code: string;
  /** Safe to show; for Gatehouse errors their own message. */
  message: string;
  /** A Gatehouse error, or a Koa/http-errors client error (4xx, e.g. from the body parser). */
  kind: 'gatehouse' | 'client' | 'outage' | 'unknown';
  /** The Gatehouse error's own message (also for an outage thrown as one), for problem documents. */
  detail?: string;
  issues?: readonly string[];
  retryAfter?: number;
}

interface HttpishError {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  error?: string;
  error_description?: string;
  message?: string;
}

export function describeError(caught: unknown): ErrorFacts {
  const outage = storeUnavailableIn(caught);
  if (outage) {
    // Also when it comes wrapped, e.g. from oidc-provider's interactionDetails as its 503.
    return {
      status: STATUS.unavailable,
      code: 'temporarily_unavailable',
      message: 'error.temporarily_unavailable',
      kind: 'outage',
      retryAfter: outage.retryAfter,
      ...(caught instanceof GatehouseError ? { detail: caught.message } : {}),
    };
  }
  if (caught instanceof GatehouseError) {
    return {
      status: STATUS[caught.code],
      code: caught instanceof RegistrationRefused ? caught.error : caught.code,
      message: caught.message,
      detail: caught.message,
      kind: 'gatehouse',
      ...('issues' in caught ? { issues: caught.issues as readonly string[] } : {}),
      ...('retryAfter' in caught ? { retryAfter: Number(caught.retryAfter) } : {}),
    };
  }
  const error = (caught ?? {}) as HttpishError;
  const status = error.status ?? error.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const message = error.error_description ?? (error.expose && error.message ? error.message : 'The request was not valid.');
    return { status, code: error.error ?? 'invalid_request', message, kind: 'client' };
  }
  return { status: 500, code: 'server_error', message: 'error.server', kind: 'unknown' };
}

export type ErrorRenderer = (ctx: Context, facts: ErrorFacts) => void;

/**
 * The errors a person can meet, each with a title and one plain sentence of what happened and
 * what to do (`error.<kind>.title` / `error.<kind>.body` in views/i18n). oidc-provider's own codes
 * and descriptions (its `SessionNotFound`, `InvalidClient`, `InvalidRedirectUri` …) and ours map
 * here, once; the developer text only goes into the page's collapsed developer part and the log.
 */
export type ErrorKind =
  | 'interaction_expired'
  | 'cookies_missing'
  | 'unknown_client'
  | 'redirect_uri'
  | 'access_denied'
  | 'too_many_attempts'
  | 'form_expired'
  | 'not_found'
  | 'unavailable'
  | 'server'
  | 'session_ended'
  | 'start_again'
  | 'bad_request';

/** oidc-provider's `SessionNotFound` descriptions: the sign-in's state is gone or belongs to another session. */
const EXPIRED_INTERACTION = new Set([
  'interaction session not found',
  'authorization request has expired',
  'authorization session and cookie identifier mismatch',
  'interaction session and authentication session mismatch',
  'session not found',
  'session principal changed',
  'no sign-in is pending',
  'no consent is pending',
]);

export function errorKind(facts: { status: number; code: string; message?: string | undefined }): ErrorKind {
  const { status, code, message = '' } = facts;
  if (message === 'interaction session id cookie not found') return 'cookies_missing';
  if (EXPIRED_INTERACTION.has(message)) return 'interaction_expired';
  if (code === 'start_again') return 'start_again';
  if (code === 'invalid_client') return 'unknown_client';
  if (code === 'invalid_redirect_uri') return 'redirect_uri';
  if (code === 'access_denied' || code === 'forbidden') return 'access_denied';
  if (code === 'rate_limited' || status === 429) return 'too_many_attempts';
  if (code === 'csrf_failed') return 'form_expired';
  if (status === 404) return 'not_found';
  if (status === 503) return 'unavailable';
  if (status >= 500) return 'server';
  return 'bad_request';
}

/** What an error page shows: the person's part, and the developer's (collapsed) with the reference id. */
export interface ErrorPage {
  kind: ErrorKind;
  /** `code: description` for the app's developer; never a stack, never a secret. */
  developerDetail?: string | undefined;
  requestId: string;
  vars?: Record<string, string | number>;
}

export function errorPageHtml(views: Views, locale: Locale | undefined, page: ErrorPage): string {
  return views.render('error', { locale, ...page });
}

/** Pages: an HTML error page with the request id (JSON when the browser asks for JSON). */
export function pageRenderer(views: Views): ErrorRenderer {
  return (ctx, facts) => {
    const kind = errorKind(facts);
    if (ctx.accepts('html', 'json') === 'json') {
      ctx.body = { error: facts.code, error_description: facts.kind === 'gatehouse' && facts.code === 'csrf_failed' ? 'error.csrf_failed' : facts.message };
      return;
    }
    ctx.type = 'html';
    const developerDetail = facts.kind === 'client' || facts.kind === 'gatehouse' ? `${facts.code}: ${facts.message}` : undefined;
    ctx.body = errorPageHtml(views, ctx.state.locale, {
      kind,
      developerDetail,
      requestId: String(ctx.state.requestId ?? ''),
      ...(facts.retryAfter !== undefined ? { vars: { seconds: facts.retryAfter } } : {}),
    });
  };
}

/** Gatehouse codes whose OAuth spelling differs (`too_many_requests` is what OAuth clients and libraries expect). */
const OAUTH_CODES: Partial<Record<string, string>> = { rate_limited: 'too_many_requests' };

/**
 * OAuth-style JSON APIs and the protocol endpoints' own refusals (RFC 6749 §5.2, RFC 7591 §3.2.2):
 * `{ error, error_description }`, never cached.
 */
export const oauthRenderer: ErrorRenderer = (ctx, facts) => {
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error: OAUTH_CODES[facts.code] ?? facts.code, error_description: facts.message };
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: string[];
  requestId?: string;
}

/** RFC 9457 problem details: the admin API's one error shape (HTTP, socket and in-process alike). */
export function problemBody(status: number, detail: string, options: { errors?: readonly string[] | undefined; requestId?: string | undefined } = {}): Problem {
  return {
    type: 'about:blank',
    title: statuses.message[status] ?? 'Error',
    status,
    detail,
    ...(options.errors?.length ? { errors: [...options.errors] } : {}),
    ...(options.requestId ? { requestId: options.requestId } : {}),
  };
}

/** What the body parser's and media-type check's own errors mean, for the problem `detail`. */
const CLIENT_ERROR_DETAILS: Record<number, string> = {
  413: 'the body is too large',
  415: 'the body must be application/json',
};

/** The `detail` of a problem: Gatehouse errors say what went wrong; unknown ones only where to look. */
export function problemDetail(facts: ErrorFacts): string {
  if (facts.detail !== undefined) return facts.detail;
  if (facts.kind === 'client') return CLIENT_ERROR_DETAILS[facts.status] ?? 'the request body is not valid JSON';
  return 'internal error; the request id identifies it in the server log';
}

/** JSON APIs of the RFC 9457 kind. `realm` names the bearer realm in WWW-Authenticate. */
export function problemRenderer(options: { realm: string }): ErrorRenderer {
  return (ctx, facts) => {
    if (facts.status === 401) ctx.set('WWW-Authenticate', `Bearer realm="${options.realm}"${ctx.get('authorization') ? ', error="invalid_token"' : ''}`);
    if (facts.status === 403 && facts.kind === 'gatehouse') ctx.set('WWW-Authenticate', `Bearer realm="${options.realm}", error="insufficient_scope"`);
    ctx.type = 'application/problem+json';
    ctx.body = problemBody(facts.status, problemDetail(facts), { errors: facts.issues, requestId: ctx.state.requestId ? String(ctx.state.requestId) : undefined });
  };
}

/**
 * Catches what the group's routes throw, logs what the operator must see (a 503 at warn, any 500
 * at error, with the request id; never a body or a secret), sets the headers every renderer
 * shares (Retry-After; WWW-Authenticate for an invalid bearer token) and renders.
 */
export function errorBoundary(deps: { logger: Logger; render: ErrorRenderer }): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (caught) {
      answerError(ctx, caught, deps);
    }
  };
}

/**
 * Answers `caught` as the error map says, with `render`: for a step that refuses a request before
 * any group boundary could catch it, or whose answer's shape does not depend on the group (the
 * token endpoints' limits always answer in OAuth JSON).
 */
export function answerError(ctx: Context, caught: unknown, deps: { logger: Logger; render: ErrorRenderer }): void {
  const facts = describeError(caught);
  const requestId = String(ctx.state.requestId ?? '');
  if (facts.status === 503) deps.logger.warn({ err: caught, requestId }, 'store unavailable: answered 503');
  else if (facts.status >= 500) deps.logger.error({ err: caught, requestId, path: ctx.path }, 'request failed');
  // oidc-provider's refusals inside our routes (an expired interaction …): the reason, for the reference id.
  else if (facts.kind === 'client') deps.logger.info({ requestId, path: ctx.path, status: facts.status, error: facts.code, error_description: facts.message }, 'request refused');
  ctx.status = facts.status;
  if (facts.retryAfter !== undefined && (facts.kind === 'outage' || facts.code === 'rate_limited')) ctx.set('Retry-After', String(facts.retryAfter));
  if (facts.kind === 'gatehouse' && facts.code === 'invalid_token') ctx.set('WWW-Authenticate', 'Bearer error="invalid_token"');
  deps.render(ctx, facts);
}
