import type { Knex } from 'knex';
import { translated } from '../pg-errors.ts';

export interface StoredPayload {
  payload: Record<string, unknown>;
  consumedAt: Date | null;
}

/** A durable row as the adapter writes it (id already a digest for credentials). */
export interface PayloadRow {
  id: string;
  payload: Record<string, unknown>;
  grantId?: string | undefined;
  uid?: string | undefined;
  accountId?: string | undefined;
  expiresAt: Date | null;
}

/** What storage knows about a consumed refresh token: facts only, the rule is in tokens/. */
export interface RotationFacts {
  consumedAt: Date;
  /** The child's value sealed under a key derived from this (the parent) token; null for rows rotated before 007. */
  successorSealed: string | null;
  /** Whether the child row still exists, and whether it was itself rotated already. */
  successor: { consumed: boolean } | undefined;
  /** Whether the server went on to answer the rotation with its successor (see markRotationAnswered). */
  answered: boolean;
}

export type RotationOutcome = { kind: 'rotated' } | { kind: 'consumed'; facts: RotationFacts } | { kind: 'unknown' };

const REFRESH_TOKEN = 'RefreshToken';

/** Durable oidc-provider models. Facts and atomic operations only; no token policy here. */
export function createOidcPayloadQueries(db: Knex) {
  return {
    upsert: (
      model: string,
      id: string,
      payload: Record<string, unknown>,
      meta: { grantId?: string | undefined; uid?: string | undefined; accountId?: string | undefined; expiresAt: Date | null; now: Date },
    ) =>
      translated(
        db('oidc_payloads')
          .insert({
            model,
            id,
            payload: JSON.stringify(payload),
            grant_id: meta.grantId ?? null,
            uid: meta.uid ?? null,
            account_id: meta.accountId ?? null,
            expires_at: meta.expiresAt,
            created_at: meta.now,
          })
          .onConflict(['model', 'id'])
          .merge(['payload', 'grant_id', 'uid', 'account_id', 'expires_at']),
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

    /**
     * Refresh rotation as ONE statement, so it commits whole or not at all: consume the parent
     * (only if nobody did), record its successor (digest + sealed value) on it, and insert the
     * child. A concurrent rotation of the same parent waits on the row lock of the first; once
     * that commits, Postgres re-checks `consumed_at is null` on the new row version and this
     * statement changes nothing. The loser then reads the committed facts (a fresh statement sees
     * the winner's commit). If the insert fails, the consume is rolled back with it.
     */
    rotateRefreshToken: async (parentId: string, child: PayloadRow, successorSealed: string, now: Date): Promise<RotationOutcome> => {
      const result = await translated(
        db.raw(
          `with parent as (
             update oidc_payloads set consumed_at = ?, successor_id = ?, successor_sealed = ?
              where model = ? and id = ? and consumed_at is null
             returning id
           ), child as (
             insert into oidc_payloads (model, id, payload, grant_id, uid, account_id, expires_at, created_at)
             select ?, ?, ?::jsonb, ?, ?, ?, ?, ? from parent
             returning id
           )
           select (select count(*) from child)::int as inserted`,
          [
            now,
            child.id,
            successorSealed,
            REFRESH_TOKEN,
            parentId,
            REFRESH_TOKEN,
            child.id,
            JSON.stringify(child.payload),
            child.grantId ?? null,
            child.uid ?? null,
            child.accountId ?? null,
            child.expiresAt,
            now,
          ],
        ),
      );
      if (result.rows[0]?.inserted === 1) return { kind: 'rotated' };
      const facts = await rotationFactsOf(db, parentId);
      return facts ? { kind: 'consumed', facts } : { kind: 'unknown' };
    },

    /** The facts of a consumed refresh token (undefined: unknown or not consumed). */
    rotationFacts: (parentId: string) => rotationFactsOf(db, parentId),

    /**
     * Records that the server is answering a rotation with its successor. Until then the rotation
     * counts as unanswered: its commit may have been lost with the link, and the parent's holder
     * may not have the child.
     */
    markRotationAnswered: async (parentId: string, at: Date): Promise<void> => {
      await translated(
        db('oidc_payloads').where({ model: REFRESH_TOKEN, id: parentId }).whereNull('rotation_answered_at').update({ rotation_answered_at: at }),
      );
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

    /**
     * Unexpired grants of an account, oldest first, with the client each was given to and when
     * (account pages, consent memory). Reads the indexed `account_id` column.
     */
    grantsForAccount: async (accountId: string, now: Date): Promise<Array<{ grantId: string; clientId: string; createdAt: Date }>> => {
      const rows = await translated(
        db('oidc_payloads')
          .select('id', 'payload', 'created_at')
          .where({ model: 'Grant', account_id: accountId })
          .andWhere((where) => where.whereNull('expires_at').orWhere('expires_at', '>', now))
          .orderBy('created_at'),
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

async function rotationFactsOf(db: Knex, parentId: string): Promise<RotationFacts | undefined> {
  const row = await translated(
    db('oidc_payloads as parent')
      .leftJoin('oidc_payloads as child', (join) => {
        join.on('child.id', '=', 'parent.successor_id').andOn('child.model', '=', 'parent.model');
      })
      .select(
        'parent.consumed_at',
        'parent.successor_sealed',
        'parent.rotation_answered_at',
        'child.id as child_id',
        'child.consumed_at as child_consumed_at',
      )
      .where({ 'parent.model': REFRESH_TOKEN, 'parent.id': parentId })
      .first(),
  );
  if (!row?.consumed_at) return undefined;
  return {
    consumedAt: new Date(row.consumed_at),
    successorSealed: row.successor_sealed ?? null,
    successor: row.child_id ? { consumed: row.child_consumed_at !== null } : undefined,
    answered: row.rotation_answered_at !== null,
  };
}

export type OidcPayloadQueries = ReturnType<typeof createOidcPayloadQueries>;
