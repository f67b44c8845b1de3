/**
 * Software statements (RFC 7591 §2.3): JWTs about the client software, signed by an issuer the
 * operator trusts. Verified with that issuer's JWKS (configured inline or as a jwks_uri).
 */
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, type JSONWebKeySet, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { Clock } from '../clock.ts';
import { RegistrationRefused } from '../errors.ts';

export type TrustedIssuers = Readonly<Record<string, string | { readonly keys: ReadonlyArray<Record<string, unknown>> }>>;

/** Asymmetric algorithms only: a shared secret would let any holder mint statements. */
const ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];

export function createSoftwareStatementVerifier(deps: { issuers: TrustedIssuers; clock: Clock }) {
  const keySets = new Map<string, JWTVerifyGetKey>(
    Object.entries(deps.issuers).map(([issuer, source]) => [
      issuer,
      typeof source === 'string'
        ? createRemoteJWKSet(new URL(source), { timeoutDuration: 5000 })
        : createLocalJWKSet(structuredClone(source) as unknown as JSONWebKeySet),
    ]),
  );
  return {
    configured: keySets.size > 0,
    /** The statement's claims, or RegistrationRefused (invalid_ / unapproved_software_statement). */
    async verify(statement: unknown): Promise<Record<string, unknown>> {
      if (typeof statement !== 'string' || statement.length > 16_384) {
        throw new RegistrationRefused('invalid_software_statement', 'software_statement must be a signed JWT');
      }
      let issuer: unknown;
      try {
        issuer = decodeJwt(statement).iss;
      } catch {
        throw new RegistrationRefused('invalid_software_statement', 'software_statement is not a JWT');
      }
      const keys = typeof issuer === 'string' ? keySets.get(issuer) : undefined;
      if (!keys) throw new RegistrationRefused('unapproved_software_statement', 'software_statement is not from a trusted issuer');
      try {
        const { payload } = await jwtVerify(statement, keys, {
          issuer: issuer as string,
          algorithms: ALGORITHMS,
          currentDate: deps.clock.now(),
          clockTolerance: 30,
        });
        return payload as Record<string, unknown>;
      } catch {
        throw new RegistrationRefused('invalid_software_statement', 'software_statement signature or claims are not valid');
      }
    },
  };
}

export type SoftwareStatementVerifier = ReturnType<typeof createSoftwareStatementVerifier>;
