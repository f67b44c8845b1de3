import type { KoaContextWithOIDC } from 'oidc-provider';

// biome-ignore lint/suspicious/noExplicitAny: oidc-provider's Grant model is an untyped internal
type AnyGrant = any;

/**
 * Which Grant an authorization request continues (oidc-provider's `loadExistingGrant`).
 *
 * One grant per device: a grant — and with it a refresh-token family, which reuse detection and
 * logout revoke as a whole — belongs to one browser session and client. A reuse verdict (true or
 * false) or a logout on one device therefore never signs the user out of the same app on their
 * other devices, as with Auth0, Okta and Keycloak, whose families are per authorization.
 *
 * Consent is still remembered per user, client and scopes across browsers: a session that has no
 * grant for the client yet starts its own with the consent of the user's newest grant for that
 * client, so only scopes it lacks are asked for. First-party clients (`first_party: true`) get
 * their grant without a consent screen; third-party clients ask.
 */
export function createLoadExistingGrant(deps: { newestGrantIdFor: (accountId: string, clientId: string) => Promise<string | undefined> }) {
  return async function loadExistingGrant(ctx: KoaContextWithOIDC) {
    const { oidc } = ctx;
    const clientId = oidc.client!.clientId;
    const accountId = oidc.session?.accountId;
    const ownId = (oidc.result?.consent as { grantId?: string } | undefined)?.grantId ?? oidc.session!.grantIdFor(clientId);
    if (ownId) {
      const own = await oidc.provider.Grant.find(ownId);
      if (own && own.accountId === accountId) return own;
    }
    if (!accountId) return undefined;
    if (oidc.client!.metadata().first_party === true) return firstPartyGrant(ctx, accountId);
    const rememberedId = await deps.newestGrantIdFor(accountId, clientId);
    const remembered: AnyGrant = rememberedId ? await oidc.provider.Grant.find(rememberedId) : undefined;
    if (remembered && remembered.accountId === accountId && remembered.clientId === clientId) {
      return deviceGrant(ctx, accountId, remembered);
    }
    return undefined;
  };
}

/** This device's own grant, carrying the consent (granted and refused) the user gave elsewhere. */
async function deviceGrant(ctx: KoaContextWithOIDC, accountId: string, remembered: AnyGrant) {
  const grant: AnyGrant = new ctx.oidc.provider.Grant({ clientId: remembered.clientId, accountId });
  for (const part of ['openid', 'resources', 'rejected'] as const) {
    if (remembered[part]) grant[part] = structuredClone(remembered[part]);
  }
  await grant.save();
  return grant;
}

/** A first-party client's grant: exactly what it asks for, no consent screen. */
async function firstPartyGrant(ctx: KoaContextWithOIDC, accountId: string) {
  const { oidc } = ctx;
  const grant = new oidc.provider.Grant({ clientId: oidc.client!.clientId, accountId });
  grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
  const resource = oidc.params?.resource;
  if (typeof resource === 'string') {
    const server = oidc.resourceServers?.[resource];
    if (server) grant.addResourceScope(resource, [...oidc.requestParamScopes].filter((scope) => server.scopes.has(scope)).join(' '));
  }
  await grant.save();
  return grant;
}
