/**
 * Revocation of everything issued under a grant, across both stores. Shared by the adapter, the
 * refresh grant (reuse), logout, key compromise handling and the sessions service.
 */
import type { OidcModelKeyspace } from './keyspaces/oidc-models.ts';
import type { OidcPayloadQueries } from './queries/oidc-payloads.ts';

export interface GrantStores {
  payloads: Pick<OidcPayloadQueries, 'destroy' | 'destroyByGrantId'>;
  oidcModels: Pick<OidcModelKeyspace, 'takeGrant'>;
}

/**
 * Deletes every token issued under a grant, in both stores; with `includeGrant`, the Grant
 * record too (theft, compromise, logout). Idempotent. Postgres first: once its part is done the
 * grant can mint nothing (refresh tokens and the grant live there), even if Redis then fails and
 * the caller gets a 503; the opaque access tokens in Redis then go with a retry, or with their
 * own short TTL.
 */
export async function revokeGrantEverywhere(stores: GrantStores, grantId: string, options: { includeGrant: boolean }): Promise<void> {
  await Promise.all([stores.payloads.destroyByGrantId(grantId), options.includeGrant ? stores.payloads.destroy('Grant', grantId) : undefined]);
  await stores.oidcModels.takeGrant(grantId);
}
