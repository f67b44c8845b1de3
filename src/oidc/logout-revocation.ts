import type { KoaContextWithOIDC } from 'oidc-provider';
import { type GrantStores, revokeGrantEverywhere } from '../storage/grant-revocation.ts';

/**
 * Signing out ends access too. oidc-provider keeps `offline_access` grants alive across logout
 * (`persistsLogout`); Gatehouse revokes the grants of every client in the ended session — and so
 * their refresh tokens — unless the client is registered with `keep_offline_access_on_logout: true`
 * (e.g. a sync agent that must keep working while the user is away). Runs before the response.
 */
export function revokeGrantsOnLogout(stores: GrantStores) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>) => {
    await next();
    if (ctx.oidc?.route !== 'end_session_confirm' || !ctx.oidc.params?.logout || ctx.status >= 400) return;
    const authorizations = (ctx.oidc.session?.authorizations ?? {}) as Record<string, { grantId?: string }>;
    for (const [clientId, { grantId }] of Object.entries(authorizations)) {
      if (!grantId) continue;
      const client = await ctx.oidc.provider.Client.find(clientId);
      if (client?.metadata().keep_offline_access_on_logout === true) continue;
      await revokeGrantEverywhere(stores, grantId, { includeGrant: true });
      ctx.oidc.provider.emit('grant.revoked', ctx, grantId);
    }
  };
}
