import type { KoaContextWithOIDC, ResourceServer } from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { ApiService } from '../apis/index.ts';
import { type ClientLike, metadataOf } from './client-metadata-of.ts';

/**
 * Registered APIs become RFC 8707 resource servers that receive RFC 9068 JWT access tokens (or,
 * for an API that chose `opaque`, stored references):
 * one `aud`, `typ: at+jwt`, signed with the API's algorithm (RS256 unless it chose ES256 or
 * EdDSA), and only the scopes the API defines.
 */
export function createResourceServerCallbacks(deps: { apis: ApiService; defaultAccessTokenTtl: number }) {
  return {
    async getResourceServerInfo(
      _ctx: KoaContextWithOIDC,
      resourceIndicator: string,
      client: ClientLike,
    ): Promise<ResourceServer> {
      const metadata = metadataOf(client);
      const allowed = (metadata.resources as string[] | undefined) ?? [];
      const api = allowed.includes(resourceIndicator) ? await deps.apis.find(resourceIndicator) : undefined;
      if (!api) throw new errors.InvalidTarget('resource is not a registered API this client may use');
      // A client gets at most the API scopes it was registered with.
      const clientScopes = new Set((metadata.resource_scopes as string[] | undefined) ?? []);
      return {
        scope: api.scopes
          .map((scope) => scope.name)
          .filter((name) => clientScopes.has(name))
          .join(' '),
        audience: api.identifier,
        // The API's lifetime, shortened further by the client's own if it has one.
        accessTokenTTL: Math.min(
          api.accessTokenTtl ?? deps.defaultAccessTokenTtl,
          (metadata.access_token_ttl as number | undefined) ?? Number.POSITIVE_INFINITY,
        ),
        accessTokenFormat: api.accessTokenFormat,
        ...(api.accessTokenFormat === 'jwt' ? { jwt: { sign: { alg: api.signingAlg } } } : {}),
      };
    },

    /**
     * A machine client with exactly one API needs no `resource` parameter; browser flows without
     * one get an opaque token for userinfo, as OIDC clients expect.
     */
    async defaultResource(
      ctx: KoaContextWithOIDC,
      client: ClientLike,
      oneOf?: string[],
    ): Promise<string | string[] | undefined> {
      if (oneOf) return oneOf;
      const resources = (metadataOf(client).resources as string[] | undefined) ?? [];
      if (ctx.oidc.params?.grant_type === 'client_credentials' && resources.length === 1) return resources[0];
      return undefined;
    },
  };
}
