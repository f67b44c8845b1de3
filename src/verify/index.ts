/**
 * `gatehouse/verify` — verification of Gatehouse access tokens (RFC 9068 JWTs) in a resource
 * server, with the public JWKS alone. Depends on jose only; never imports the server.
 *
 * @example
 * import { createAccessTokenVerifier } from 'gatehouse/verify';
 * const verifier = createAccessTokenVerifier({ issuer: 'https://id.example.com', audience: 'https://api.example.com' });
 * const token = await verifier.verify(bearer, { scopes: ['invoices:read'] });
 * token.sub; token.clientId; token.scopes;
 *
 * Checks: signature with a key from the issuer's JWKS, `iss`, exactly our `aud`, `exp`/`nbf`,
 * header `typ: at+jwt`, an algorithm allow-list (RS256 by default; never `none` or HS*), and the
 * required scopes. The JWKS is cached for the `max-age` the server sends (capped by
 * `maxCacheSeconds`), revalidated with `If-None-Match`, and refetched early when a token names an
 * unknown `kid` — at most once per `unknownKidCooldownSeconds`, so garbage tokens cannot make the
 * resource server hammer the issuer.
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTPayload, jwtVerify } from 'jose';

export interface VerifierOptions {
  issuer: string;
  /** This API's identifier: tokens must carry exactly this `aud`. */
  audience: string;
  /** Defaults to `${issuer}/jwks`. */
  jwksUri?: string;
  /** Defaults to ['RS256']. Symmetric and `none` algorithms are always refused. */
  algorithms?: string[];
  clockToleranceSeconds?: number;
  /** Upper bound on trusting a cached JWKS, whatever the server's max-age. Default 300. */
  maxCacheSeconds?: number;
  /** Minimum time between refetches caused by unknown key ids. Default 30. */
  unknownKidCooldownSeconds?: number;
  fetch?: typeof fetch;
  /** Milliseconds since the epoch; tests pass a controllable clock. */
  now?: () => number;
}

export interface VerifiedAccessToken {
  subject: string;
  clientId: string;
  scopes: string[];
  expiresAt: Date;
  claims: JWTPayload;
}

export type AccessTokenErrorCode = 'invalid_token' | 'insufficient_scope';

/** `status` is what the resource server should answer (RFC 6750 §3.1). */
export class AccessTokenError extends Error {
  readonly code: AccessTokenErrorCode;
  readonly status: 401 | 403;
  constructor(code: AccessTokenErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AccessTokenError';
    this.code = code;
    this.status = code === 'insufficient_scope' ? 403 : 401;
  }
}

const FORBIDDEN_ALGORITHMS = /^(none|HS\d+)$/i;

function maxAgeOf(cacheControl: string | null): number | undefined {
  const match = cacheControl?.match(/(?:^|,)\s*max-age=(\d+)/i);
  return match ? Number(match[1]) : undefined;
}

export function createAccessTokenVerifier(options: VerifierOptions) {
  const issuer = options.issuer.replace(/\/+$/, '');
  const jwksUri = options.jwksUri ?? `${issuer}/jwks`;
  const algorithms = (options.algorithms ?? ['RS256']).filter((alg) => !FORBIDDEN_ALGORITHMS.test(alg));
  const maxCacheMs = (options.maxCacheSeconds ?? 300) * 1000;
  const cooldownMs = (options.unknownKidCooldownSeconds ?? 30) * 1000;
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;

  let keySet: ReturnType<typeof createLocalJWKSet> | undefined;
  let etag: string | undefined;
  let freshUntil = 0;
  let lastFetch = Number.NEGATIVE_INFINITY;
  let inflight: Promise<void> | undefined;

  async function load(): Promise<void> {
    const headers: Record<string, string> = { accept: 'application/jwk-set+json, application/json' };
    if (etag && keySet) headers['if-none-match'] = etag;
    const response = await doFetch(jwksUri, { headers, signal: AbortSignal.timeout(5000) });
    lastFetch = now();
    const ttl = Math.min((maxAgeOf(response.headers.get('cache-control')) ?? 60) * 1000, maxCacheMs);
    if (response.status === 304 && keySet) {
      freshUntil = lastFetch + ttl;
      return;
    }
    if (!response.ok) throw new Error(`JWKS fetch failed with HTTP ${response.status}`);
    const jwks = (await response.json()) as JSONWebKeySet;
    keySet = createLocalJWKSet(jwks);
    etag = response.headers.get('etag') ?? undefined;
    freshUntil = lastFetch + ttl;
  }

  function refresh(): Promise<void> {
    inflight ??= load().finally(() => {
      inflight = undefined;
    });
    return inflight;
  }

  async function keys() {
    if (!keySet || now() >= freshUntil) await refresh();
    return keySet!;
  }

  async function verifySignature(token: string) {
    const verifyOptions = {
      issuer,
      audience: options.audience,
      algorithms,
      typ: 'at+jwt',
      clockTolerance: options.clockToleranceSeconds ?? 5,
      currentDate: new Date(now()),
      requiredClaims: ['exp', 'iat', 'sub'],
    };
    try {
      return await jwtVerify(token, await keys(), verifyOptions);
    } catch (error) {
      // A key we have not seen: the issuer may have published it since our last fetch.
      if (error instanceof errors.JWKSNoMatchingKey && now() - lastFetch >= cooldownMs) {
        await refresh();
        return jwtVerify(token, keySet!, verifyOptions);
      }
      throw error;
    }
  }

  return {
    /** Verifies a bearer access token; throws AccessTokenError (401 invalid_token / 403 insufficient_scope). */
    async verify(token: string, required: { scopes?: readonly string[] } = {}): Promise<VerifiedAccessToken> {
      if (typeof token !== 'string' || token.length === 0 || token.length > 16_384) {
        throw new AccessTokenError('invalid_token', 'malformed token');
      }
      let payload: JWTPayload;
      try {
        ({ payload } = await verifySignature(token));
      } catch (error) {
        throw new AccessTokenError('invalid_token', error instanceof Error ? error.message : 'invalid token', { cause: error });
      }
      if (Array.isArray(payload.aud) && payload.aud.length !== 1) {
        throw new AccessTokenError('invalid_token', 'access tokens carry exactly one audience');
      }
      const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
      const missing = (required.scopes ?? []).filter((scope) => !scopes.includes(scope));
      if (missing.length > 0) throw new AccessTokenError('insufficient_scope', `missing scope: ${missing.join(' ')}`);
      return {
        subject: String(payload.sub),
        clientId: String(payload.client_id ?? ''),
        scopes,
        expiresAt: new Date(Number(payload.exp) * 1000),
        claims: payload,
      };
    },
    /** Forces a JWKS refetch (e.g. on an operator signal). */
    refresh,
  };
}

export type AccessTokenVerifier = ReturnType<typeof createAccessTokenVerifier>;

/** Reads `Authorization: Bearer <token>`; tokens in query strings are never accepted (RFC 9700 §4.3.2). */
export function bearerToken(authorization: string | undefined | null): string | undefined {
  const match = authorization?.match(/^Bearer ([A-Za-z0-9\-._~+/]+=*)$/);
  return match?.[1];
}
