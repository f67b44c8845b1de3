/**
 * DPoP proof checks at a resource server (RFC 9449 §4.3 and §7.1), with jose only: the proof is a
 * JWT signed by the key in its own header, for this request (`htm`, `htu`), recent (`iat`), used
 * once (`jti`), for this access token (`ath`), with the key the token is bound to (`cnf.jkt`).
 */
import { base64url, calculateJwkThumbprint, EmbeddedJWK, type JWK, jwtVerify } from 'jose';
import { AccessTokenError } from './errors.ts';

/**
 * Remembers DPoP proof ids until they are too old to be accepted anyway. `rememberOnce` must be
 * atomic: true for exactly one caller per key (e.g. Redis `SET key 1 NX PXAT expiresAt`).
 * Resource servers with several instances share one store, or a proof replayed to another
 * instance is accepted there.
 */
export interface ReplayStore {
  rememberOnce(key: string, expiresAtMs: number): boolean | Promise<boolean>;
}

/**
 * The in-process replay store (the default): enough for one instance. Full (every remembered
 * proof still in its window) means it refuses new proofs rather than forget a live one.
 */
export function createMemoryReplayStore(options: { maxEntries?: number; now?: () => number } = {}): ReplayStore {
  const maxEntries = options.maxEntries ?? 100_000;
  const now = options.now ?? Date.now;
  const seen = new Map<string, number>();
  return {
    rememberOnce(key, expiresAtMs) {
      const current = now();
      const known = seen.get(key);
      if (known !== undefined && known > current) return false;
      if (seen.size >= maxEntries) {
        for (const [entry, expiry] of seen) if (expiry <= current) seen.delete(entry);
        if (seen.size >= maxEntries) throw new AccessTokenError('invalid_dpop_proof', 'too many DPoP proofs in flight; try again', { scheme: 'DPoP' });
      }
      seen.set(key, expiresAtMs);
      return true;
    },
  };
}

export interface DpopOptions {
  /** Default: createMemoryReplayStore() — one per verifier. */
  replayStore?: ReplayStore;
  /** How old a proof (its `iat`) may be. Default 60 s, plus the verifier's clock tolerance. */
  maxAgeSeconds?: number;
  /** Proof signature algorithms accepted. Default ES256, EdDSA, RS256, PS256 (never `none` or HS*). */
  algorithms?: string[];
}

export const DEFAULT_DPOP_ALGORITHMS = ['ES256', 'EdDSA', 'RS256', 'PS256'];
const MAX_PROOF_LENGTH = 8192;
const MAX_JTI_LENGTH = 256;

/** The request the proof must be for: its method and its URL as the client called it. */
export interface DpopRequest {
  /** The `DPoP` header value (one proof). */
  proof: string | undefined;
  method: string;
  /** The URL the client called (scheme, host and path; query and fragment are ignored). */
  url: string | URL;
}

/** RFC 9449 §4.3 step 9: scheme and host case-insensitive, default port dropped, no query or fragment. */
function comparableUrl(value: string | URL): string | undefined {
  try {
    const url = new URL(value);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return undefined;
  }
}

export function createDpopProofCheck(options: DpopOptions & { clockToleranceSeconds: number; now: () => number }) {
  const replayStore = options.replayStore ?? createMemoryReplayStore({ now: options.now });
  const maxAge = options.maxAgeSeconds ?? 60;
  const algorithms = (options.algorithms ?? DEFAULT_DPOP_ALGORITHMS).filter((alg) => !/^(none|HS\d+)$/i.test(alg));
  const refuse = (message: string, cause?: unknown) =>
    new AccessTokenError('invalid_dpop_proof', message, { scheme: 'DPoP', ...(cause ? { cause } : {}) });

  return {
    algorithms,
    /** Throws AccessTokenError(invalid_dpop_proof) unless `request.proof` proves possession of `jkt` for `accessToken`. */
    async check(request: DpopRequest, accessToken: string, jkt: string): Promise<void> {
      const { proof } = request;
      if (typeof proof !== 'string' || proof.length === 0) throw refuse('a DPoP-bound token needs a DPoP proof (DPoP header)');
      if (proof.length > MAX_PROOF_LENGTH || proof.includes(',')) throw refuse('exactly one DPoP proof is expected');
      let payload: Record<string, unknown>;
      let jwk: JWK;
      try {
        const verified = await jwtVerify(proof, EmbeddedJWK, {
          typ: 'dpop+jwt',
          algorithms,
          maxTokenAge: maxAge,
          clockTolerance: options.clockToleranceSeconds,
          currentDate: new Date(options.now()),
          requiredClaims: ['iat', 'jti', 'htm', 'htu', 'ath'],
        });
        payload = verified.payload;
        jwk = verified.protectedHeader.jwk as JWK;
      } catch (error) {
        throw refuse(`invalid DPoP proof: ${error instanceof Error ? error.message : 'unreadable'}`, error);
      }
      if ((await calculateJwkThumbprint(jwk, 'sha256')) !== jkt) throw refuse("the DPoP proof's key is not the key the token is bound to");
      if (payload.htm !== request.method.toUpperCase()) throw refuse('the DPoP proof is for another HTTP method (htm)');
      const htu = typeof payload.htu === 'string' ? comparableUrl(payload.htu) : undefined;
      if (!htu || htu !== comparableUrl(request.url)) throw refuse('the DPoP proof is for another URL (htu)');
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken)));
      if (payload.ath !== base64url.encode(digest)) throw refuse('the DPoP proof is for another access token (ath)');
      const jti = payload.jti;
      if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) throw refuse('the DPoP proof has an unusable jti');
      // Last, so only proofs that passed every other check take room in the store.
      const expiresAtMs = (Number(payload.iat) + maxAge + options.clockToleranceSeconds) * 1000;
      if (!(await replayStore.rememberOnce(`${jkt}:${jti}`, expiresAtMs))) throw refuse('the DPoP proof was already used (jti replay)');
    },
  };
}
