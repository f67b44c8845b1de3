/** Consent as a pure rule: what oidc-provider reports missing is exactly what the user is asked for and granted. */
export interface MissingConsent {
  missingOIDCScope?: string[];
  missingOIDCClaims?: string[];
  missingResourceScopes?: Record<string, string[]>;
}

export interface ConsentPlan {
  scopes: string[];
  claims: string[];
  resourceScopes: Record<string, string[]>;
}

export function planConsent(missing: MissingConsent): ConsentPlan {
  return {
    scopes: [...(missing.missingOIDCScope ?? [])],
    claims: [...(missing.missingOIDCClaims ?? [])],
    resourceScopes: Object.fromEntries(Object.entries(missing.missingResourceScopes ?? {}).map(([resource, scopes]) => [resource, [...scopes]])),
  };
}

/** The page's list: each scope in plain words (translated in the template). */
export function describeConsent(plan: ConsentPlan): Array<{ key: string; vars?: Record<string, string> }> {
  const known = new Set(['openid', 'email', 'profile', 'offline_access']);
  return [
    ...plan.scopes.map((scope) => (known.has(scope) ? { key: `scope.${scope}` } : { key: scope })),
    ...Object.entries(plan.resourceScopes).flatMap(([api, scopes]) => scopes.map((scope) => ({ key: 'scope.api', vars: { scope, api } }))),
  ];
}
