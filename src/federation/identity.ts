/**
 * Pure rules of federation: what an upstream's claims say about the person (claim mapping), which
 * roles its groups map to, whether its MFA counts, and — the one that guards against pre-account
 * takeover — what to do with an upstream identity that is not linked yet (decideLink).
 * Every table is unit-tested row by row (test/unit/federation/identity.test.ts).
 */

/** Which claim of the ID token (or userinfo) holds what. */
export interface ClaimMapping {
  email: string;
  emailVerified: string;
  name: string;
  groups: string;
}

export const DEFAULT_CLAIM_MAPPING: ClaimMapping = { email: 'email', emailVerified: 'email_verified', name: 'name', groups: 'groups' };

/** A person as an upstream provider asserted them, after claim mapping. */
export interface UpstreamIdentity {
  provider: string;
  subject: string;
  email: string | undefined;
  emailVerified: boolean;
  name: string | undefined;
  groups: string[];
  /** The upstream's RFC 8176 `amr` values (empty when it sent none). */
  amr: string[];
  acr: string | undefined;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 && value.length <= 320 ? value : undefined);
const texts = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string' && entry.length <= 256).slice(0, 256) : typeof value === 'string' ? [value] : [];

/** Claims → identity. `email_verified` counts only when it is literally true (or "true"). */
export function mapClaims(provider: string, claims: Record<string, unknown>, mapping: ClaimMapping): UpstreamIdentity | undefined {
  const subject = claims.sub === undefined ? undefined : String(claims.sub);
  if (!subject || subject.length > 255) return undefined;
  const verified = claims[mapping.emailVerified];
  return {
    provider,
    subject,
    email: text(claims[mapping.email])?.toLowerCase(),
    emailVerified: verified === true || verified === 'true',
    name: text(claims[mapping.name]),
    groups: texts(claims[mapping.groups]),
    amr: texts(claims.amr).slice(0, 8),
    acr: text(claims.acr),
  };
}

/** The domain part of an address, lower-cased. */
export const domainOf = (email: string) => email.slice(email.lastIndexOf('@') + 1).toLowerCase();

/** True when the provider allows this address (no list: any domain). */
export function emailDomainAllowed(email: string | undefined, domains: readonly string[]): boolean {
  if (domains.length === 0) return true;
  return email !== undefined && domains.includes(domainOf(email));
}

/** Upstream `amr` values that mean more than one factor, or a factor beyond a password (RFC 8176). */
const MULTI_FACTOR_AMR = new Set(['mfa', 'otp', 'hwk', 'swk', 'fpt', 'face', 'iris', 'retina', 'vbm', 'sms', 'tel', 'sc', 'pop', 'pin']);

/** Does the upstream's authentication count as multi-factor here? Only when the provider is trusted for it. */
export function upstreamMultiFactor(identity: Pick<UpstreamIdentity, 'amr'>, trustUpstreamMfa: boolean): boolean {
  return trustUpstreamMfa && identity.amr.some((value) => MULTI_FACTOR_AMR.has(value));
}

/** The `amr` of a federated sign-in: `fed`, plus the upstream's own factors when its MFA is trusted. */
export function federatedAmr(identity: Pick<UpstreamIdentity, 'amr'>, trustUpstreamMfa: boolean): string[] {
  if (!upstreamMultiFactor(identity, trustUpstreamMfa)) return ['fed'];
  return ['fed', ...identity.amr.filter((value) => /^[a-z]{2,8}$/.test(value) && value !== 'fed')].slice(0, 8);
}

/**
 * Group → role mapping, applied on every sign-in: the roles the mapping governs are exactly those
 * that appear in it; the upstream decides each of them (granted when a group of the person maps
 * to it, revoked otherwise). Roles outside the mapping are never touched.
 */
export function planRoles(groups: readonly string[], groupRoles: Readonly<Record<string, readonly string[]>>, held: readonly string[]) {
  const governed = new Set(Object.values(groupRoles).flat());
  const wanted = new Set(groups.flatMap((group) => groupRoles[group] ?? []));
  return {
    grant: [...wanted].filter((role) => !held.includes(role)).sort(),
    revoke: [...governed].filter((role) => !wanted.has(role) && held.includes(role)).sort(),
  };
}

export type LinkDecision =
  | { kind: 'linked' }
  | { kind: 'refused'; reason: 'no_email' | 'domain_not_allowed' | 'no_account' }
  | { kind: 'link_silently' }
  | { kind: 'prove_existing' }
  | { kind: 'create' };

/**
 * An upstream identity arrives. Linking without pre-account takeover:
 *
 * | # | already linked | email (mapped) | domain allowed | account with that email | verified + trusted for domain | jit | next            |
 * |---|----------------|----------------|----------------|-------------------------|-------------------------------|-----|-----------------|
 * | 1 | yes            | –              | –              | –                       | –                             | –   | linked (sign in)|
 * | 2 | no             | none           | –              | –                       | –                             | –   | refused         |
 * | 3 | no             | yes            | no             | –                       | –                             | –   | refused         |
 * | 4 | no             | yes            | yes            | yes                     | yes                           | –   | link silently   |
 * | 5 | no             | yes            | yes            | yes                     | no                            | –   | prove existing  |
 * | 6 | no             | yes            | yes            | no                      | –                             | yes | create (JIT)    |
 * | 7 | no             | yes            | yes            | no                      | –                             | no  | refused         |
 *
 * "Trusted for domain" needs both: the provider is marked trusted and lists domains (the address
 * is then in one of them), and the upstream says the address is verified. Never on an unverified
 * email: row 5 asks for the existing account's password (and second factor) first.
 */
export function decideLink(facts: {
  linked: boolean;
  email: string | undefined;
  emailVerified: boolean;
  domains: readonly string[];
  trustedForDomains: boolean;
  accountExists: boolean;
  jit: boolean;
}): LinkDecision {
  if (facts.linked) return { kind: 'linked' };
  if (!facts.email) return { kind: 'refused', reason: 'no_email' };
  if (!emailDomainAllowed(facts.email, facts.domains)) return { kind: 'refused', reason: 'domain_not_allowed' };
  if (facts.accountExists) {
    return facts.emailVerified && facts.trustedForDomains && facts.domains.length > 0 ? { kind: 'link_silently' } : { kind: 'prove_existing' };
  }
  return facts.jit ? { kind: 'create' } : { kind: 'refused', reason: 'no_account' };
}

/**
 * May this link be removed? Not when it is the account's last way in: no usable password and no
 * other link.
 */
export function mayUnlink(facts: { otherLinks: number; hasPassword: boolean }): boolean {
  return facts.hasPassword || facts.otherLinks > 0;
}
