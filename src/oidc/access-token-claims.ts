import type { KoaContextWithOIDC } from 'oidc-provider';
import type { ApiService } from '../apis/index.ts';
import { accessTokenClaims, type RbacService } from '../rbac/index.ts';

/** The parts of an oidc-provider AccessToken / ClientCredentials model this callback reads. */
interface IssuedToken {
  kind: string;
  accountId?: string;
  clientId?: string;
  resourceServer?: { audience?: string; accessTokenFormat?: string };
}

/**
 * `extraTokenClaims`: JWT access tokens for a registered API carry exactly the claims that API
 * lists (roles, groups, org_id), for the user (`accountId`) or, on client credentials, for the
 * client itself. Opaque tokens (userinfo only) carry nothing extra. oidc-provider spreads these
 * before its own claims, so they can never replace sub, client_id, scope, aud or iss.
 *
 * Hot path: the API and the subject's facts come from TTL caches (no database round trip per
 * client-credentials token once warm).
 */
export function createAccessTokenClaims(deps: { apis: ApiService; rbac: RbacService; allowList: readonly string[] }) {
  return async (ctx: KoaContextWithOIDC, token: IssuedToken): Promise<Record<string, unknown> | undefined> => {
    const audience = token.resourceServer?.audience;
    if (!audience || token.resourceServer?.accessTokenFormat !== 'jwt') return undefined;
    const authentication = token.accountId !== undefined ? howTheUserSignedIn(ctx) : {};
    const api = await deps.apis.find(audience);
    if (!api || api.claims.length === 0) return Object.keys(authentication).length > 0 ? authentication : undefined;
    const principal =
      token.accountId !== undefined
        ? ({ kind: 'user', id: token.accountId } as const)
        : token.kind === 'ClientCredentials' && token.clientId !== undefined
          ? ({ kind: 'client', id: token.clientId } as const)
          : undefined;
    if (!principal) return undefined;
    const claims = accessTokenClaims({
      api: api.identifier,
      apiClaims: api.claims,
      allowList: deps.allowList,
      facts: await deps.rbac.subjectFacts(principal),
    });
    const all = { ...authentication, ...claims };
    return Object.keys(all).length > 0 ? all : undefined;
  };
}

/**
 * RFC 9068 §2.2.1: `acr`, `amr` and `auth_time` of the sign-in behind a user's token, so an API
 * (and the admin API) can demand a second factor. Read from the code or refresh token exchanged.
 */
function howTheUserSignedIn(ctx: KoaContextWithOIDC): Record<string, unknown> {
  const entities = ctx.oidc?.entities as Record<string, { acr?: string; amr?: string[]; authTime?: number } | undefined> | undefined;
  const source = entities?.AuthorizationCode ?? entities?.RefreshToken;
  if (!source) return {};
  return {
    ...(source.acr ? { acr: source.acr } : {}),
    ...(source.amr?.length ? { amr: source.amr } : {}),
    ...(source.authTime ? { auth_time: source.authTime } : {}),
  };
}
