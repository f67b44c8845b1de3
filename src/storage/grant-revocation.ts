/**
 * Ephemeral-store key layout of oidc-provider models, and revocation of everything issued under a
 * grant across both stores. Shared by the adapter and by key compromise handling.
 */
import type { KeyValueStore } from './key-value.ts';
import type { OidcPayloadQueries } from './queries/oidc-payloads.ts';

export const kvPayloadKey = (model: string, key: string) => `oidc:${model}:${key}`;
export const kvConsumedKey = (model: string, key: string) => `oidc:${model}:${key}:consumed`;
export const kvGrantKey = (grantId: string) => `oidc:grant:${grantId}`;
export const kvUidKey = (model: string, uid: string) => `oidc:${model}:uid:${uid}`;
export const kvAccountSessionsKey = (accountId: string) => `oidc:account-sessions:${accountId}`;

/** Ends every browser session of an account (they live only in the ephemeral store). */
export async function endSessionsOfAccount(kv: KeyValueStore, accountId: string): Promise<number> {
  const keys = (await kv.takeSet(kvAccountSessionsKey(accountId))).map((id) => kvPayloadKey('Session', id));
  // Session ids rotate at sign-in, so the index also holds ids that no longer exist.
  const live = (await kv.getMany(keys)).filter((value) => value !== undefined).length;
  await kv.delete(keys);
  return live;
}

export interface GrantStores {
  payloads: OidcPayloadQueries;
  kv: KeyValueStore;
}

/**
 * Deletes every token issued under a grant, in both stores; with `includeGrant`, the Grant
 * record too (theft, compromise, logout). Idempotent.
 */
export async function revokeGrantEverywhere(stores: GrantStores, grantId: string, options: { includeGrant: boolean }): Promise<void> {
  const members = await stores.kv.takeSet(kvGrantKey(grantId));
  const keys = members.flatMap((member) => {
    const [model, key] = member.split('|');
    return model && key ? [kvPayloadKey(model, key), kvConsumedKey(model, key)] : [];
  });
  await Promise.all([
    stores.kv.delete(keys),
    stores.payloads.destroyByGrantId(grantId),
    options.includeGrant ? stores.payloads.destroy('Grant', grantId) : undefined,
  ]);
}
