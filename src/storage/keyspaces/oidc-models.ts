/**
 * The key-value layout of oidc-provider's ephemeral models (Session, Interaction,
 * AuthorizationCode, opaque AccessToken, ReplayDetection, PAR …) and their indexes: the one
 * place these keys are spelled.
 *
 *   oidc:<Model>:<key>            the payload (JSON), TTL = the model's
 *   oidc:<Model>:<key>:consumed   "consumed at" marker (set-if-absent), outlives the payload
 *   oidc:<Model>:uid:<uid>        uid → id index (interactions and sessions are found by uid)
 *   oidc:grant:<grantId>          set of "<Model>|<key>" issued under a grant (revocation)
 *   oidc:<Model>:user-code:<mac>  a device code sealed, by the HMAC of its user code (RFC 8628)
 *   oidc:<Model>:<key>:polled     a device code was polled within its interval (RFC 8628 slow_down)
 */
import type { KeyValueStore, KeyValueWrite } from '../key-value.ts';

export const OIDC_MODEL_PREFIXES = ['oidc:'] as const;

const CONSUMED_SUFFIX = ':consumed';

/** Spelled here only; the sessions keyspace reads Session payloads through these too. */
export const oidcModelKeys = {
  payload: (model: string, key: string) => `oidc:${model}:${key}`,
  consumed: (model: string, key: string) => `oidc:${model}:${key}${CONSUMED_SUFFIX}`,
  uid: (model: string, uid: string) => `oidc:${model}:uid:${uid}`,
  grant: (grantId: string) => `oidc:grant:${grantId}`,
  userCode: (model: string, mac: string) => `oidc:${model}:user-code:${mac}`,
  polled: (model: string, key: string) => `oidc:${model}:${key}:polled`,
};

const grantMember = (model: string, key: string) => `${model}|${key}`;

export function createOidcModelKeyspace(kv: KeyValueStore) {
  return {
    /**
     * Stores a payload with its indexes (grant membership, uid → id), all with the payload's TTL,
     * and `alsoWrite` (another keyspace's index of it), together in one round trip.
     */
    async save(
      model: string,
      key: string,
      entry: { json: string; id: string; ttlSeconds: number; grantId?: string | undefined; uid?: string | undefined },
      alsoWrite: readonly KeyValueWrite[] = [],
    ) {
      const ttlSeconds = entry.ttlSeconds;
      await kv.write([
        { set: oidcModelKeys.payload(model, key), value: entry.json, ttlSeconds },
        ...(entry.grantId ? [{ addToSet: oidcModelKeys.grant(entry.grantId), member: grantMember(model, key), ttlSeconds }] : []),
        ...(entry.uid ? [{ set: oidcModelKeys.uid(model, entry.uid), value: entry.id, ttlSeconds }] : []),
        ...alsoWrite,
      ]);
    },

    /** The payload (JSON) and its consumed marker (seconds since the epoch), if any. */
    async read(model: string, key: string): Promise<{ json: string; consumedAt: number | undefined } | undefined> {
      const [json, consumed] = await kv.getMany([oidcModelKeys.payload(model, key), oidcModelKeys.consumed(model, key)]);
      return json ? { json, consumedAt: consumed ? Number(consumed) : undefined } : undefined;
    },

    /** The id saved under `uid`, if it is still there. */
    idByUid: async (model: string, uid: string): Promise<string | undefined> => kv.get(oidcModelKeys.uid(model, uid)),

    /**
     * What `read` gives for the entry saved under `uid`, found in one round trip (a session is
     * looked up by uid for every session-bound access token a resource server presents). Only for
     * models whose storage key is their id (not credentials, which are stored under a digest).
     */
    async readByUid(model: string, uid: string): Promise<{ id: string; json: string; consumedAt: number | undefined } | undefined> {
      const payloadPrefix = oidcModelKeys.payload(model, '');
      const found = await kv.readThrough(oidcModelKeys.uid(model, uid), [
        { prefix: payloadPrefix, suffix: '' },
        { prefix: payloadPrefix, suffix: CONSUMED_SUFFIX },
      ]);
      const [json, consumed] = found?.values ?? [];
      return found && json ? { id: found.id, json, consumedAt: consumed ? Number(consumed) : undefined } : undefined;
    },

    /** RFC 8628: the (sealed) device code a user code stands for, under the user code's HMAC. */
    indexUserCode: (model: string, mac: string, sealedId: string, ttlSeconds: number): Promise<void> =>
      kv.set(oidcModelKeys.userCode(model, mac), sealedId, ttlSeconds),
    byUserCode: (model: string, mac: string): Promise<string | undefined> => kv.get(oidcModelKeys.userCode(model, mac)),

    /** Starts a polling interval: false when one is still running (the poll came too soon). */
    startPollInterval: (model: string, key: string, intervalSeconds: number): Promise<boolean> =>
      kv.setIfAbsent(oidcModelKeys.polled(model, key), '1', intervalSeconds),

    /**
     * The compare-and-set: true for exactly one caller. The marker outlives its payload by
     * `marginSeconds` (a request that read the payload just before it expired or was revoked is
     * still refused), and no longer: markers of every code ever used would otherwise pile up.
     */
    markConsumed: (model: string, key: string, atSeconds: number, marginSeconds: number, withoutPayloadSeconds: number): Promise<boolean> =>
      kv.setIfAbsentOutliving(oidcModelKeys.consumed(model, key), String(atSeconds), { key: oidcModelKeys.payload(model, key), marginSeconds }, withoutPayloadSeconds),

    /** Deletes the payload; a consumed marker stays until it expires (see `takeGrant`). */
    remove: (model: string, key: string): Promise<void> => kv.delete([oidcModelKeys.payload(model, key)]),

    /**
     * Deletes every payload issued under the grant (and its index), atomically taking the index.
     * Payloads only: "consumed" markers must outlive the revocation (they expire by themselves),
     * or a request still in flight with the code could consume it a second time.
     */
    async takeGrant(grantId: string): Promise<void> {
      const members = await kv.takeSet(oidcModelKeys.grant(grantId));
      const keys = members.flatMap((member) => {
        const [model, key] = member.split('|');
        return model && key ? [oidcModelKeys.payload(model, key)] : [];
      });
      await kv.delete(keys);
    },
  };
}

export type OidcModelKeyspace = ReturnType<typeof createOidcModelKeyspace>;
