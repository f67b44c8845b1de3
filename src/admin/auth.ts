/**
 * Who may call the admin API: bearer JWT access tokens (RFC 9068) for the admin API resource,
 * verified against Gatehouse's own published keys. `admin:read` allows reads, `admin:write`
 * everything. A token issued to a person (not a machine client) additionally needs a sign-in with
 * a second factor (acr urn:gatehouse:loa:2) and the `admin` role — or, for reads only, the
 * `admin:read` role (a helpdesk colleague who looks but does not change). Sender-constrained
 * tokens (`cnf`) are refused: presented as bearer, they may have been stolen.
 */
import { createLocalJWKSet, type JWK, type JWTPayload, jwtVerify } from 'jose';
import { Forbidden, InvalidToken } from '../errors.ts';
import { bearerToken } from '../http/request-facts.ts';
import { acrSatisfies, MFA_ACR } from '../mfa/policy.ts';

export const ADMIN_READ_SCOPE = 'admin:read';
export const ADMIN_WRITE_SCOPE = 'admin:write';
export const ADMIN_ROLE = 'admin';
/** A person holding this role (and not `admin`) may read through the admin API, never write. */
export const ADMIN_READ_ROLE = 'admin:read';

export interface AdminPrincipal {
  /** `operator`: the CLI, over the admin socket or in-process (no token: the filesystem or database credentials are the authority). */
  kind: 'machine' | 'person' | 'operator';
  /** The client id (machine), account id (person) or `cli` (operator): the audit trail's actor. */
  subject: string;
  clientId: string;
  scopes: ReadonlySet<string>;
}

/** The principal of the operator's CLI. */
export const OPERATOR: AdminPrincipal = Object.freeze({
  kind: 'operator',
  subject: 'cli',
  clientId: '',
  scopes: new Set([ADMIN_WRITE_SCOPE]),
});

export function adminAudience(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/admin/v1`;
}

export function createAdminAuthenticator(deps: {
  issuer: string;
  algorithms: readonly string[];
  /** The current public signing keys (the same set /jwks serves). */
  publicJwks: () => JWK[];
  /** Roles of a person, for the admin-role check. */
  rolesOf: (accountId: string) => Promise<readonly string[]>;
  now: () => Date;
}) {
  let keys: JWK[] | undefined;
  let keySet: ReturnType<typeof createLocalJWKSet> | undefined;
  const currentKeySet = () => {
    const latest = deps.publicJwks();
    if (latest !== keys || !keySet) {
      keys = latest;
      keySet = createLocalJWKSet({ keys: latest });
    }
    return keySet;
  };

  return async function authenticate(authorization: string | undefined, access: 'read' | 'write'): Promise<AdminPrincipal> {
    const token = bearerToken(authorization);
    if (!token) throw new InvalidToken('a valid bearer token is required');
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, currentKeySet(), {
        issuer: deps.issuer,
        audience: adminAudience(deps.issuer),
        typ: 'at+jwt',
        algorithms: [...deps.algorithms],
        currentDate: deps.now(),
      }));
    } catch {
      throw new InvalidToken('the bearer token is invalid or expired');
    }
    // A key-bound token (RFC 9449 cnf.jkt, RFC 8705 cnf.x5t#S256) presented as bearer is a stolen
    // one until proven otherwise: the admin API takes bearer tokens only, so it never accepts one.
    if (claims.cnf !== undefined) throw new InvalidToken('this token is bound to a key (DPoP or mTLS); the admin API accepts only unbound bearer tokens');
    const scopes = new Set(typeof claims.scope === 'string' ? claims.scope.split(' ') : []);
    const needed = access === 'read' ? [ADMIN_READ_SCOPE, ADMIN_WRITE_SCOPE] : [ADMIN_WRITE_SCOPE];
    if (!needed.some((scope) => scopes.has(scope))) throw new Forbidden(`this call needs the ${needed.join(' or ')} scope`);
    const clientId = String(claims.client_id ?? '');
    const subject = String(claims.sub ?? '');
    if (subject === clientId) return { kind: 'machine', subject, clientId, scopes };
    // A person: the role now (not when the token was minted), then a sign-in with a second factor.
    const roles = await deps.rolesOf(subject);
    if (!roles.includes(ADMIN_ROLE) && !(access === 'read' && roles.includes(ADMIN_READ_ROLE))) {
      throw new Forbidden(access === 'read' ? `the ${ADMIN_ROLE} role (or ${ADMIN_READ_ROLE}, for reads) is required` : `the ${ADMIN_ROLE} role is required`);
    }
    if (!acrSatisfies(typeof claims.acr === 'string' ? claims.acr : undefined, MFA_ACR)) throw new Forbidden('admin sessions need a second factor (acr urn:gatehouse:loa:2)');
    return { kind: 'person', subject, clientId, scopes };
  };
}

export type AdminAuthenticator = ReturnType<typeof createAdminAuthenticator>;
