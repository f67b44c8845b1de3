/** When does a sign-in need a second factor? A pure decision over the facts of one sign-in. */
export const MFA_ACR = 'urn:gatehouse:loa:2';
export const PASSWORD_ACR = 'urn:gatehouse:loa:1';

export interface MfaFacts {
  enrolled: boolean;
  roles: readonly string[];
  /** Roles that must use MFA (default: admin). */
  requiredRoles: readonly string[];
  clientRequiresMfa: boolean;
  /** acr_values of the request, space-separated. */
  acrValues: string | undefined;
}

export type MfaDecision = { kind: 'none' } | { kind: 'verify' } | { kind: 'enrol'; reason: 'role' | 'client' | 'acr' };

export function decideMfa(facts: MfaFacts): MfaDecision {
  // Enrolled users always use their second factor: it is theirs, and an attacker with the
  // password alone must not get through.
  if (facts.enrolled) return { kind: 'verify' };
  if (facts.roles.some((role) => facts.requiredRoles.includes(role))) return { kind: 'enrol', reason: 'role' };
  if (facts.clientRequiresMfa) return { kind: 'enrol', reason: 'client' };
  if (facts.acrValues?.split(' ').includes(MFA_ACR)) return { kind: 'enrol', reason: 'acr' };
  return { kind: 'none' };
}
