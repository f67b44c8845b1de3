import { ACCESS_TOKEN_PII_CLAIMS } from '../config.ts';

/** What Gatehouse knows about a token's subject (a user, or a client acting for itself). */
export interface SubjectFacts {
  /** Every role held, directly or through a group; `api` null = global. */
  roles: ReadonlyArray<{ name: string; api: string | null }>;
  groups: readonly string[];
  orgId: string | null;
}

/** Global roles plus the roles that belong to `api`, sorted and without repeats. */
export function rolesFor(facts: Pick<SubjectFacts, 'roles'>, api: string): string[] {
  return [...new Set(facts.roles.filter((role) => role.api === null || role.api === api).map((role) => role.name))].sort();
}

/**
 * The extra claims of one access token: exactly those the API lists, and of those only the ones
 * still on the allow-list and never PII (the last guard: an API row edited by hand, or an
 * allow-list narrowed after the API was created, cannot leak anything).
 */
export function accessTokenClaims(input: {
  api: string;
  apiClaims: readonly string[];
  allowList: readonly string[];
  facts: SubjectFacts;
}): Record<string, unknown> {
  const { facts } = input;
  const values = new Map<string, () => unknown>([
    ['roles', () => rolesFor(facts, input.api)],
    ['groups', () => [...facts.groups]],
    ['org_id', () => facts.orgId ?? undefined],
  ]);
  const claims: Record<string, unknown> = {};
  for (const claim of input.apiClaims) {
    if (ACCESS_TOKEN_PII_CLAIMS.has(claim) || !input.allowList.includes(claim)) continue;
    const value = values.get(claim)?.();
    if (value !== undefined) claims[claim] = value;
  }
  return claims;
}
