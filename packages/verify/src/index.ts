/**
 * `@gatehouse/verify` — verification of Gatehouse access tokens (RFC 9068 JWTs) in a resource
 * server, with the public JWKS alone. Depends on jose only; never imports the server.
 *
 * @example
 * import { createAccessTokenVerifier } from '@gatehouse/verify';
 * const verifier = createAccessTokenVerifier({ issuer: 'https://id.example.com', audience: 'https://api.example.com' });
 * // Bearer and DPoP (RFC 9449) requests alike:
 * const token = await verifier.verifyRequest(
 *   { authorization: req.headers.authorization, dpop: req.headers.dpop, method: req.method, url: `https://api.example.com${req.url}` },
 *   { scopes: ['invoices:read'] },
 * );
 * token.subject; token.clientId; token.scopes; token.scheme;
 *
 * Checks: signature with a key from the issuer's JWKS, `iss`, exactly our `aud`, `exp`/`nbf`,
 * header `typ: at+jwt`, an algorithm allow-list (RS256 by default; never `none` or HS*), and the
 * required scopes. A token bound to a key (`cnf.jkt`) is accepted only with a DPoP proof of that
 * key for this request (htm, htu, iat, jti replay, ath, key thumbprint; see dpop.ts) — never as a
 * plain bearer token. The JWKS is cached for the `max-age` the server sends (capped by
 * `maxCacheSeconds`), revalidated with `If-None-Match`, and refetched early when a token names an
 * unknown `kid` — at most once per `unknownKidCooldownSeconds`, so garbage tokens cannot make the
 * resource server hammer the issuer.
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTPayload, jwtVerify } from 'jose';
import { createDpopProofCheck, type DpopOptions, type DpopRequest } from './dpop.ts';
import { AccessTokenError, type AuthScheme } from './errors.ts';

export { createMemoryReplayStore, DEFAULT_DPOP_ALGORITHMS, type DpopOptions, type ReplayStore } from './dpop.ts';
export { AccessTokenError, type AccessTokenErrorCode, type AuthScheme, challengeFor } from './errors.ts';

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
  /** DPoP proof checks for sender-constrained tokens (RFC 9449). */
  dpop?: DpopOptions;
}

export interface VerifiedAccessToken {
  subject: string;
  clientId: string;
  scopes: string[];
  expiresAt: Date;
  /** How it was presented: `DPoP` when bound to a key and proven, `Bearer` otherwise. */
  scheme: AuthScheme;
  /** RFC 9449: the thumbprint of the key the token is bound to (`cnf.jkt`), when it is. */
  boundKeyThumbprint?: string;
  claims: JWTPayload;
}

/** An HTTP request as the resource server received it. */
export interface IncomingRequest {
  authorization: string | undefined | null;
  /** The `DPoP` header, if any. */
  dpop?: string | string[] | undefined | null;
  method: string;
  /** The URL the client called: your public origin and the request path. */
  url: string | URL;
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

  const dpop = createDpopProofCheck({ ...options.dpop, clockToleranceSeconds: options.clockToleranceSeconds ?? 5, now });

  async function verifyToken(token: string, required: { scopes?: readonly string[] }, scheme: AuthScheme): Promise<VerifiedAccessToken> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 16_384) {
      throw new AccessTokenError('invalid_token', 'malformed token', { scheme });
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await verifySignature(token));
    } catch (error) {
      throw new AccessTokenError('invalid_token', error instanceof Error ? error.message : 'invalid token', { cause: error, scheme });
    }
    if (Array.isArray(payload.aud) && payload.aud.length !== 1) {
      throw new AccessTokenError('invalid_token', 'access tokens carry exactly one audience', { scheme });
    }
    const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
    const missing = (required.scopes ?? []).filter((scope) => !scopes.includes(scope));
    if (missing.length > 0) throw new AccessTokenError('insufficient_scope', `missing scope: ${missing.join(' ')}`, { scheme });
    const jkt = (payload.cnf as { jkt?: unknown } | undefined)?.jkt;
    return {
      subject: String(payload.sub),
      clientId: String(payload.client_id ?? ''),
      scopes,
      expiresAt: new Date(Number(payload.exp) * 1000),
      scheme,
      ...(typeof jkt === 'string' ? { boundKeyThumbprint: jkt } : {}),
      claims: payload,
    };
  }

  return {
    /**
     * Verifies a bearer access token; throws AccessTokenError (401 invalid_token / 403
     * insufficient_scope). A DPoP-bound token is refused here (RFC 9449 §7.2: it is never a
     * bearer token): use `verifyRequest`, which checks its proof.
     */
    async verify(token: string, required: { scopes?: readonly string[] } = {}): Promise<VerifiedAccessToken> {
      const verified = await verifyToken(token, required, 'Bearer');
      if (verified.boundKeyThumbprint) {
        throw new AccessTokenError('invalid_token', 'DPoP-bound token presented as a bearer token', { scheme: 'DPoP' });
      }
      return verified;
    },

    /**
     * Verifies the access token of a request: `Authorization: Bearer <token>` for bearer tokens,
     * `Authorization: DPoP <token>` plus its `DPoP` proof for DPoP-bound tokens. Errors carry the
     * status and the scheme to challenge with (see `challengeFor`).
     */
    async verifyRequest(request: IncomingRequest, required: { scopes?: readonly string[] } = {}): Promise<VerifiedAccessToken> {
      const presented = parseAuthorization(request.authorization);
      if (!presented) throw new AccessTokenError('invalid_token', 'missing access token (Authorization: Bearer or DPoP)');
      const verified = await verifyToken(presented.token, required, presented.scheme);
      const jkt = verified.boundKeyThumbprint;
      if (presented.scheme === 'Bearer') {
        if (jkt) throw new AccessTokenError('invalid_token', 'DPoP-bound token presented as a bearer token', { scheme: 'DPoP' });
        return verified;
      }
      if (!jkt) throw new AccessTokenError('invalid_token', 'not a DPoP-bound token: present it as Bearer', { scheme: 'DPoP' });
      if (Array.isArray(request.dpop) && request.dpop.length !== 1) {
        throw new AccessTokenError('invalid_dpop_proof', 'exactly one DPoP proof is expected', { scheme: 'DPoP' });
      }
      const proof: DpopRequest['proof'] = Array.isArray(request.dpop) ? request.dpop[0] : (request.dpop ?? undefined);
      await dpop.check({ proof, method: request.method, url: request.url }, presented.token, jkt);
      return verified;
    },

    /** The DPoP proof algorithms accepted (for the `algs` of a DPoP challenge). */
    dpopAlgorithms: dpop.algorithms,
    /** Forces a JWKS refetch (e.g. on an operator signal). */
    refresh,
  };
}

export type AccessTokenVerifier = ReturnType<typeof createAccessTokenVerifier>;

/** Reads `Authorization: Bearer <token>`; tokens in query strings are never accepted (RFC 9700 §4.3.2). */
export function bearerToken(authorization: string | undefined | null): string | undefined {
  const presented = parseAuthorization(authorization);
  return presented?.scheme === 'Bearer' ? presented.token : undefined;
}

/** `Bearer <token68>` or `DPoP <token68>` (the scheme is case-insensitive, RFC 9110 §11.1). */
function parseAuthorization(authorization: string | undefined | null): { scheme: AuthScheme; token: string } | undefined {
  const match = authorization?.match(/^(Bearer|DPoP) ([A-Za-z0-9\-._~+/]+=*)$/i);
  if (!match?.[1] || !match[2]) return undefined;
  return { scheme: match[1].toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer', token: match[2] };
}
