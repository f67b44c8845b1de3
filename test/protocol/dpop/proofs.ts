import { randomUUID } from 'node:crypto';
import { base64url, type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

/** A client's DPoP key and a proof maker, with every claim overridable (to build bad proofs). */
export async function dpopKey(alg: 'ES256' | 'EdDSA' | 'RS256' = 'ES256') {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return {
    jwk,
    privateKey,
    async proof(
      options: { htm: string; htu: string; accessToken?: string },
      overrides: { claims?: Record<string, unknown>; header?: Record<string, unknown>; signWith?: CryptoKey; headerJwk?: JWK } = {},
    ) {
      const ath = options.accessToken
        ? base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(options.accessToken))))
        : undefined;
      return new SignJWT({ htm: options.htm, htu: options.htu, jti: randomUUID(), ...(ath ? { ath } : {}), ...overrides.claims })
        .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk: overrides.headerJwk ?? jwk, ...overrides.header })
        .setIssuedAt(typeof overrides.claims?.iat === 'number' ? overrides.claims.iat : undefined)
        .sign(overrides.signWith ?? privateKey);
    },
  };
}
