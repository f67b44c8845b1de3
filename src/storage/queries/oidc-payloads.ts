import type { Knex } from 'knex';
import { translated } from '../pg-errors.ts';

export interface StoredPayload {
  payload: Record<string, unknown>;
  consumedAt: Date | null;
}

/** Durable oidc-provider models. Facts and atomic operations only; no token policy here. */
export function createOidcPayloadQueries(db: Knex) {
  return {
    upsert: (
      model: string,
      id: string,
      payload: Record<string, unknown>,
      meta: { grantId?: string | undefined; uid?: string | undefined; expiresAt: Date | null; now: Date },
    ) =>
      translated(
        db('oidc_payloads')
          .insert({
            model,
            id,
            payload: JSON.stringify(payload),
            grant_id: meta.grantId ?? null,
            uid: meta.uid ?? null,
            expires_at: meta.expiresAt,
            created_at: meta.now,
          })
          .onConflict(['model', 'id'])
          .merge(['payload', 'grant_id', 'uid', 'expires_at']),
      ).then(() => undefined),

    find: async (model: string, id: string): Promise<StoredPayload | undefined> => {
      const row = await translated(
        db('oidc_payloads').select('payload', 'consumed_at').where({ model, id }).first(),
      );
      return row ? { payload: row.payload, consumedAt: row.consumed_at ? new Date(row.consumed_at) : null } : undefined;
    },

    findByUid: async (model: string, uid: string): Promise<{ id: string; stored: StoredPayload } | undefined> => {
      const row = await translated(
        db('oidc_payloads').select('id', 'payload', 'consumed_at').where({ model, uid }).first(),
      );
      return row
        ? { id: row.id, stored: { payload: row.payload, consumedAt: row.consumed_at ? new Date(row.consumed_at) : null } }
        : undefined;
    },

    /**
     * Marks the row consumed only if nobody did before: the compare-and-set that the adapter
     * interface lacks. Exactly one of any number of concurrent callers gets `true`.
     */
    consumeOnce: async (model: string, id: string, at: Date): Promise<boolean> => {
      const rows = await translated(
        db('oidc_payloads')
          .where({ model, id })
          .whereNull('consumed_at')
          .update({ consumed_at: at })
          .returning('id'),
      );
      return rows.length === 1;
    },

    destroy: (model: string, id: string) =>
      translated(db('oidc_payloads').where({ model, id }).delete()).then(() => undefined),

    destroyByGrantId: (grantId: string) =>
      translated(db('oidc_payloads').where({ grant_id: grantId }).delete()).then(() => undefined),

    /** Grants that received refresh tokens in a time window (key-compromise response). */
    grantIdsWithRefreshTokensIssuedBetween: async (from: Date, until: Date): Promise<string[]> => {
      const rows = await translated(
        db('oidc_payloads')
          .distinct('grant_id')
          .where({ model: 'RefreshToken' })
          .whereNotNull('grant_id')
          .whereBetween('created_at', [from, until]),
      );
      return rows.map((row: { grant_id: string }) => row.grant_id);
    },

    /** Grants of an account with the client each was given to and when (account pages). */
    grantsForAccount: async (accountId: string): Promise<Array<{ grantId: string; clientId: string; createdAt: Date }>> => {
      const rows = await translated(
        db('oidc_payloads').select('id', 'payload', 'created_at').where({ model: 'Grant' }).whereRaw("payload->>'accountId' = ?", [accountId]).orderBy('created_at'),
      );
      return rows.map((row: { id: string; payload: { clientId: string }; created_at: Date }) => ({
        grantId: row.id,
        clientId: row.payload.clientId,
        createdAt: new Date(row.created_at),
      }));
    },

    /**
     * Deletes at most `limit` rows that expired before `before` (consumed or not) and returns how
     * many: one short statement per call, oldest first along the `expires_at` index. Rows another
     * transaction has locked are skipped (SKIP LOCKED), so a batch never waits on token traffic;
     * it only takes row locks on rows nobody can use any more. The rows are found and deleted by
     * their physical address (ctid), locked by the same statement so it cannot move: a TID scan,
     * about ten times cheaper than looking each row up again by its key.
     */
    deleteExpired: async (before: Date, limit: number): Promise<number> => {
      const batch = db('oidc_payloads').select('ctid').where('expires_at', '<', before).orderBy('expires_at').limit(limit).forUpdate().skipLocked();
      // Counted from RETURNING: knex-pglite reports a bare delete's count differently from pg.
      return (await translated(db('oidc_payloads').whereRaw('ctid = any(array(?))', [batch]).delete().returning('model'))).length;
    },
  };
}

export type OidcPayloadQueries = ReturnType<typeof createOidcPayloadQueries>;
