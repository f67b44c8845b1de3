/** When does a sign-in need a second factor, and which? A pure decision over the facts of one sign-in. */
export const PASSWORD_ACR = 'urn:gatehouse:loa:1';
export const MFA_ACR = 'urn:gatehouse:loa:2';
/** Phishing-resistant: a passkey (origin-bound WebAuthn assertion with user verification). */
export const PHISHING_RESISTANT_ACR = 'urn:gatehouse:loa:3';

const LEVELS = [PASSWORD_ACR, MFA_ACR, PHISHING_RESISTANT_ACR];

/** Whether a session at level `actual` satisfies a demand for `required` (loa:3 ⊇ loa:2 ⊇ loa:1). */
export function acrSatisfies(actual: string | undefined, required: string): boolean {
  const have = LEVELS.indexOf(actual ?? '');
  const want = LEVELS.indexOf(required);
  return have >= 0 && want >= 0 && have >= want;
}

/** The level a sign-in reached, from its RFC 8176 methods (a passkey: loa:3; two factors: loa:2). */
export function acrOf(amr: readonly string[]): string {
  if (amr.includes('hwk') || amr.includes('swk')) return PHISHING_RESISTANT_ACR;
  return amr.length > 1 ? MFA_ACR : PASSWORD_ACR;
}

export interface MfaFacts {
  /** The user has a confirmed factor (TOTP or a passkey). */
  enrolled: boolean;
  /** The user has at least one passkey. */
  hasPasskey?: boolean;
  roles: readonly string[];
  /** Roles that must use MFA (default: admin). */
  requiredRoles: readonly string[];
  /** Roles that must use a passkey (loa:3). */
  passkeyRequiredRoles?: readonly string[];
  clientRequiresMfa: boolean;
  /** The client requires a passkey (loa:3) for every sign-in. */
  clientRequiresPasskey?: boolean;
  /** The account pages: where passkeys are enrolled, so a role's passkey rule cannot lock its holder out of them. */
  enrolmentClient?: boolean;
  /** acr_values of the request, space-separated. */
  acrValues: string | undefined;
}

export type Reason = 'role' | 'client' | 'acr';

export type MfaDecision =
  | { kind: 'none' }
  /** `passkeyOnly`: only a passkey satisfies this sign-in (loa:3 required, and why). */
  | { kind: 'verify'; passkeyOnly?: Reason }
  | { kind: 'enrol'; reason: Reason }
  /** loa:3 is required and the user has no passkey: TOTP cannot satisfy it; a passkey must be added first. */
  | { kind: 'passkey_required'; reason: Reason };

/**
 * | # | loa:3 required (role / client / acr) | has passkey | enrolled | loa:2 required (role / client / acr) | decision                 |
 * |---|--------------------------------------|-------------|----------|--------------------------------------|--------------------------|
 * | 1 | yes                                  | yes         | –        | –                                    | verify, passkey only     |
 * | 2 | yes                                  | no          | –        | –                                    | passkey required (why)   |
 * | 3 | no                                   | –           | yes      | –                                    | verify (any factor)      |
 * | 4 | no                                   | –           | no       | yes                                  | enrol (why)              |
 * | 5 | no                                   | –           | no       | no                                   | none                     |
 *
 * A role's loa:3 rule does not apply on the account pages (`enrolmentClient`): that is where the
 * holder adds the passkey, after their password and current second factor.
 */
export function decideMfa(facts: MfaFacts): MfaDecision {
  const acr = facts.acrValues?.split(' ') ?? [];
  const strong: Reason | undefined =
    !facts.enrolmentClient && facts.roles.some((role) => facts.passkeyRequiredRoles?.includes(role))
      ? 'role'
      : facts.clientRequiresPasskey
        ? 'client'
        : acr.includes(PHISHING_RESISTANT_ACR)
          ? 'acr'
          : undefined;
  if (strong) return facts.hasPasskey === true ? { kind: 'verify', passkeyOnly: strong } : { kind: 'passkey_required', reason: strong };
  // Enrolled users always use their second factor: it is theirs, and an attacker with the
  // password alone must not get through.
  if (facts.enrolled) return { kind: 'verify' };
  if (facts.roles.some((role) => facts.requiredRoles.includes(role))) return { kind: 'enrol', reason: 'role' };
  if (facts.clientRequiresMfa) return { kind: 'enrol', reason: 'client' };
  if (acr.includes(MFA_ACR)) return { kind: 'enrol', reason: 'acr' };
  return { kind: 'none' };
}
