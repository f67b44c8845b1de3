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
/** A device code by the digest of its user code (RFC 8628): the typed code is a credential too. */
export const kvUserCodeKey = (model: string, userCodeDigest: string) => `oidc:${model}:user-code:${userCodeDigest}`;
export const kvAccountSessionsKey = (accountId: string) => `oidc:account-sessions:${accountId}`;

/** Ends every browser session of an account (they live only in the ephemeral store), but `keepId`. */
export async function endSessionsOfAccount(kv: KeyValueStore, accountId: string, keepId?: string): Promise<number> {
  const ids = (await kv.takeSet(kvAccountSessionsKey(accountId))).filter((id) => id !== keepId);
  if (keepId) await kv.addToSet(kvAccountSessionsKey(accountId), keepId, 86_400);
  const keys = ids.map((id) => kvPayloadKey('Session', id));
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
 * record too (theft, compromise, logout). Idempotent. Postgres first: once its part is done the
 * grant can mint nothing (refresh tokens and the grant live there), even if Redis then fails and
 * the caller gets a 503; the opaque access tokens in Redis then go with a retry, or with their
 * own short TTL.
 */
export async function revokeGrantEverywhere(stores: GrantStores, grantId: string, options: { includeGrant: boolean }): Promise<void> {
  await Promise.all([stores.payloads.destroyByGrantId(grantId), options.includeGrant ? stores.payloads.destroy('Grant', grantId) : undefined]);
  const members = await stores.kv.takeSet(kvGrantKey(grantId));
  // Payloads only: "consumed" markers must outlive the revocation (they expire by themselves),
  // or a request still in flight with the code could consume it a second time.
  const keys = members.flatMap((member) => {
    const [model, key] = member.split('|');
    return model && key ? [kvPayloadKey(model, key)] : [];
  });
  await stores.kv.delete(keys);
}

export interface StoredSession {
  id: string;
  uid: string;
  loginTs: number | undefined;
  activity: { at: number; ip: string; userAgent: string } | undefined;
}

/** The live browser sessions of an account (stale index entries are dropped on the way). */
export async function sessionsOfAccount(kv: KeyValueStore, accountId: string): Promise<StoredSession[]> {
  const ids = await kv.members(kvAccountSessionsKey(accountId));
  const payloads = await kv.getMany(ids.map((id) => kvPayloadKey('Session', id)));
  const sessions: StoredSession[] = [];
  for (const [index, raw] of payloads.entries()) {
    const id = ids[index]!;
    if (!raw) {
      await kv.removeFromSet(kvAccountSessionsKey(accountId), id);
      continue;
    }
    const payload = JSON.parse(raw) as { uid: string; loginTs?: number; accountId?: string };
    if (payload.accountId !== accountId) continue;
    const activity = await kv.get(`session-activity:${payload.uid}`);
    sessions.push({ id, uid: payload.uid, loginTs: payload.loginTs, activity: activity ? JSON.parse(activity) : undefined });
  }
  return sessions;
}

/** Ends one session of an account, identified by its public uid (never its secret id). */
export async function endSessionOfAccount(kv: KeyValueStore, accountId: string, uid: string): Promise<boolean> {
  const session = (await sessionsOfAccount(kv, accountId)).find((s) => s.uid === uid);
  if (!session) return false;
  await kv.delete([kvPayloadKey('Session', session.id), kvUidKey('Session', uid), `session-activity:${uid}`]);
  await kv.removeFromSet(kvAccountSessionsKey(accountId), session.id);
  return true;
}
