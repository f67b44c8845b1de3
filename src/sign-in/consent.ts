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

/** What the consent page needs to know of an API: its name and its scopes' descriptions. */
export interface ConsentApi {
  name: string;
  scopes: ReadonlyArray<{ name: string; description: string; descriptions?: Record<string, string> }>;
}

const OIDC_SCOPES = new Set(['openid', 'email', 'profile', 'offline_access']);

/**
 * The page's list: each scope in plain words (translated in the template). An API's scope reads
 * "<API name>: <its description in the page's language>"; a claim asked for by the `claims`
 * parameter reads as that claim.
 */
export function describeConsent(
  plan: ConsentPlan,
  options: { apis?: Record<string, ConsentApi | undefined>; locale?: string } = {},
): Array<{ key: string; vars?: Record<string, string> }> {
  const locale = options.locale ?? 'en';
  return [
    ...plan.scopes.map((scope) => (OIDC_SCOPES.has(scope) ? { key: `scope.${scope}` } : { key: scope })),
    ...plan.claims.map((claim) => ({ key: 'scope.claim', vars: { claim } })),
    ...Object.entries(plan.resourceScopes).flatMap(([indicator, scopes]) => {
      const api = options.apis?.[indicator];
      return scopes.map((scope) => {
        const record = api?.scopes.find((candidate) => candidate.name === scope);
        const description = record?.descriptions?.[locale] ?? (record?.description || scope);
        return { key: 'scope.api_scope', vars: { api: api?.name ?? indicator, description } };
      });
    }),
  ];
}

/**
 * What the request asks for, whether or not it was granted before: for the consent prompt that
 * oidc-provider raises with nothing missing — a native client (loopback or custom-scheme redirect
 * URI, `native_client_prompt`) is asked every time, since another app could claim its redirect.
 * The page then lists what the app will continue to get, rather than nothing.
 */
export function requestedConsent(params: { scope?: unknown; resource?: unknown }, apiScopes: Record<string, readonly string[]>): ConsentPlan {
  const requested = typeof params.scope === 'string' ? params.scope.split(' ').filter(Boolean) : [];
  const resources = typeof params.resource === 'string' ? [params.resource] : Array.isArray(params.resource) ? params.resource.map(String) : [];
  return {
    scopes: requested.filter((scope) => OIDC_SCOPES.has(scope)),
    claims: [],
    resourceScopes: Object.fromEntries(
      resources.map((resource) => [resource, requested.filter((scope) => apiScopes[resource]?.includes(scope))] as const).filter(([, scopes]) => scopes.length > 0),
    ),
  };
}
