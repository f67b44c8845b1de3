/**
 * The one verification of Gatehouse's own JWT access tokens (RFC 9068), for introspection and for
 * token exchange's subject tokens alike: signed with a current key (a revoked key has left the
 * set), by this issuer, `typ: at+jwt`, unexpired on the injected clock — and still backed by what
 * a JWT cannot carry: a user's token by its grant (a revoked grant or an everywhere-logout ends it
 * at once), a client's own token (client credentials) by the client.
 */
import { createLocalJWKSet, type JWK, type JWTPayload, jwtVerify } from 'jose';
import type Provider from 'oidc-provider';
import type { Clock } from '../clock.ts';
import { publicJwk } from '../keys/index.ts';

/** The JWT claim naming the grant a user's access token was issued under (revocation checks). */
export const GRANT_CLAIM = 'grant_id';

export type AccessTokenCheck = { valid: true; claims: JWTPayload } | { valid: false; reason: string };
export type AccessTokenVerifier = (value: string) => Promise<AccessTokenCheck>;

// biome-ignore lint/suspicious/noExplicitAny: oidc-provider's models are untyped
type AnyModel = any;

export function accessTokenVerifier(
  provider: Provider,
  deps: { privateJwks: readonly JWK[]; issuer: string; algorithms: readonly string[]; clock: Clock },
): AccessTokenVerifier {
  const keys = createLocalJWKSet({ keys: deps.privateJwks.map((jwk) => publicJwk(jwk)) as JWK[] });
  const models = provider as AnyModel;
  return async function verifyAccessToken(value: string): Promise<AccessTokenCheck> {
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(value, keys, {
        issuer: deps.issuer,
        typ: 'at+jwt',
        algorithms: [...deps.algorithms],
        currentDate: deps.clock.now(),
        requiredClaims: ['exp', 'iat', 'sub', 'client_id', 'aud', 'jti'],
      }));
    } catch (error) {
      return { valid: false, reason: `JWT: ${(error as Error).message}` };
    }
    const grantId = claims[GRANT_CLAIM];
    if (typeof grantId === 'string') {
      const grant = await models.Grant.find(grantId, { ignoreExpiration: true });
      // The claim is signed by us, so the grant is this token's; an exchanged token's client is not the grant's.
      if (!grant || grant.isExpired || grant.accountId !== claims.sub) return { valid: false, reason: 'JWT: its grant is revoked' };
    } else if (!(await models.Client.find(String(claims.client_id)))) {
      return { valid: false, reason: 'JWT: its client is gone' };
    }
    return { valid: true, claims };
  };
}
