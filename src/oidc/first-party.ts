import type { KoaContextWithOIDC } from 'oidc-provider';

/**
 * Consent as policy: first-party clients (registered with `first_party: true`) get their grant
 * without a consent screen; third-party clients always ask (issue: consent is remembered per
 * user, client and scopes in the Grant). Otherwise oidc-provider's default behaviour.
 */
export async function loadExistingGrant(ctx: KoaContextWithOIDC) {
  const { oidc } = ctx;
  const clientId = oidc.client!.clientId;
  const grantId = (oidc.result?.consent as { grantId?: string } | undefined)?.grantId ?? oidc.session!.grantIdFor(clientId);
  if (grantId) {
    const existing = await oidc.provider.Grant.find(grantId);
    if (existing) return existing;
  }
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
