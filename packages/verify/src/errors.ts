export type AccessTokenErrorCode = 'invalid_token' | 'insufficient_scope' | 'invalid_dpop_proof' | 'invalid_request';

/** The authentication scheme a resource server should challenge with (RFC 6750 / RFC 9449 §7.1). */
export type AuthScheme = 'Bearer' | 'DPoP';

/**
 * A refused request. `status` is what the resource server should answer (RFC 6750 §3.1,
 * RFC 9449 §7.1); `scheme` is the challenge to send (see `challengeFor`).
 */
export class AccessTokenError extends Error {
  readonly code: AccessTokenErrorCode;
  readonly status: 400 | 401 | 403;
  readonly scheme: AuthScheme;
  constructor(code: AccessTokenErrorCode, message: string, options?: ErrorOptions & { scheme?: AuthScheme }) {
    super(message, options);
    this.name = 'AccessTokenError';
    this.code = code;
    this.status = code === 'insufficient_scope' ? 403 : code === 'invalid_request' ? 400 : 401;
    this.scheme = options?.scheme ?? 'Bearer';
  }
}

/**
 * The `WWW-Authenticate` value for a refused request: the scheme that failed, the error code, a
 * description, the scopes the route needs and, for DPoP, the proof algorithms accepted.
 *
 * @example
 * ctx.set('WWW-Authenticate', challengeFor(error, { scopes: ['invoices:read'] }));
 */
export function challengeFor(error: AccessTokenError, context: { scopes?: readonly string[]; dpopAlgorithms?: readonly string[] } = {}): string {
  const quoted = (value: string) => `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
  const parts = [`error=${quoted(error.code)}`, `error_description=${quoted(error.message)}`];
  if (context.scopes?.length) parts.push(`scope=${quoted(context.scopes.join(' '))}`);
  if (error.scheme === 'DPoP' && context.dpopAlgorithms?.length) parts.push(`algs=${quoted(context.dpopAlgorithms.join(' '))}`);
  return `${error.scheme} ${parts.join(', ')}`;
}
