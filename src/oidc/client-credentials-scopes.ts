import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { errors } from 'oidc-provider';
import { boundGrantHelpers, internals } from './internals.ts';

type GrantHandler = (ctx: KoaContextWithOIDC) => Promise<void>;

/**
 * Client credentials asking for a scope the client cannot get answer `invalid_scope`, naming the
 * scope (RFC 6749 §5.2). Deviation from oidc-provider 9.13.3, whose handler keeps only the scopes
 * the resource server grants and drops the rest silently: a service with a typo in its scope got a
 * 200 and a scopeless token, then a 403 from the API, and had to guess why.
 *
 * The check runs before the upstream handler (unchanged), so nothing is issued or stored for a
 * refused request. It resolves the resource the way upstream does (a second, cached
 * getResourceServerInfo call: no storage round trip on the hot path).
 */
export function refuseUngrantableClientCredentialsScopes(provider: Provider): void {
  const handlers = internals.instance(provider).grantTypeHandlers as Map<string, GrantHandler>;
  const upstream = handlers.get('client_credentials');
  if (!upstream) throw new Error('client_credentials must be enabled before its scope check is installed');
  const { resolveRequestedResources } = boundGrantHelpers(provider);
  handlers.set('client_credentials', async (ctx) => {
    const requested = String(ctx.oidc.params?.scope ?? '')
      .split(' ')
      .filter(Boolean);
    if (requested.length > 0) {
      const servers = (await resolveRequestedResources!(ctx)) as Array<{ scopes: Set<string> }>;
      // One API: its scopes for this client. No API: only the OIDC scopes the client is registered with.
      const grantable = servers[0]?.scopes ?? new Set(String(ctx.oidc.client?.scope ?? '').split(' '));
      const refused = requested.filter((scope) => !grantable.has(scope));
      if (refused.length > 0) {
        throw new errors.InvalidScope(`requested scope is not allowed for this client: ${refused.join(' ')}`, refused.join(' '));
      }
    }
    return upstream(ctx);
  });
}
