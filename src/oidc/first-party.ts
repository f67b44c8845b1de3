import type { KoaContextWithOIDC } from 'oidc-provider';

/**
 * Consent is remembered per user, client and scopes — in the Grant, whatever the browser: a grant
 * the user already gave this client is reused (only scopes it lacks are asked for). First-party
 * clients (`first_party: true`) get their grant without a consent screen; third-party clients ask.
 */
export function createLoadExistingGrant(deps: { grantIdFor: (accountId: string, clientId: string) => Promise<string | undefined> }) {
  return async function loadExistingGrant(ctx: KoaContextWithOIDC) {
    const { oidc } = ctx;
    const clientId = oidc.client!.clientId;
    const accountId = oidc.session?.accountId;
    const grantId =
      (oidc.result?.consent as { grantId?: string } | undefined)?.grantId ??
      oidc.session!.grantIdFor(clientId) ??
      (accountId ? await deps.grantIdFor(accountId, clientId) : undefined);
    if (grantId) {
      const existing = await oidc.provider.Grant.find(grantId);
      if (existing && existing.accountId === accountId) return existing;
    }
    return firstPartyGrant(ctx);
  };
}

async function firstPartyGrant(ctx: KoaContextWithOIDC) {
  const { oidc } = ctx;
  const clientId = oidc.client!.clientId;
  if (oidc.client!.metadata().first_party !== true || !oidc.session?.accountId) return undefined;
  const grant = new oidc.provider.Grant({ clientId, accountId: oidc.session.accountId });
  grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
  const resource = oidc.params?.resource;
  if (typeof resource === 'string') {
    const server = oidc.resourceServers?.[resource];
    if (server) grant.addResourceScope(resource, [...oidc.requestParamScopes].filter((scope) => server.scopes.has(scope)).join(' '));
  }
  await grant.save();
  return grant;
}
