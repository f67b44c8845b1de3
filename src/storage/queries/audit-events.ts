import type { Knex } from 'knex';
import { translated } from '../pg-errors.ts';

export interface AuditRow {
  id: string;
  occurred_at: Date;
  type: string;
  outcome: string;
  actor: string | null;
  subject: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

export type NewAuditRow = Omit<AuditRow, 'id' | 'prev_hash' | 'hash'>;

/** Arbitrary constant: serialises appends so the chain has exactly one tail. */
const APPEND_LOCK_KEY = 724_311_003;
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditQueries {
  /** Appends rows in order, each chained to the previous tail via `hash(prev, row)`, atomically. */
  appendChained(rows: readonly NewAuditRow[], hash: (prev: string, row: NewAuditRow) => string): Promise<void>;
  /** Rows in id order, after `afterId`, at most `limit`. */
  page(afterId: string, limit: number): Promise<AuditRow[]>;
  latestCheckpoint(): Promise<{ pruned_through_id: string; last_pruned_hash: string } | undefined>;
  /** Newest first; `beforeId` continues a previous page (keyset pagination). */
  query(filter: { type?: string; subject?: string; actor?: string; beforeId?: string; since?: Date; until?: Date; limit: number }): Promise<AuditRow[]>;
  /** The id of the newest row that occurred before `before`, if any. */
  lastIdBefore(before: Date): Promise<string | undefined>;
  /**
   * Deletes the oldest rows up to `throughId`, at most `limit` of them and never the tail, and
   * records the checkpoint (last deleted id and hash) that anchors the remaining chain; returns how
   * many were deleted. One short transaction: appends wait for one batch at most.
   */
  pruneThrough(throughId: string, limit: number, now: Date): Promise<number>;
}

/**
 * `afterAppend` runs inside the append's transaction with the new rows' ids: what must be written
 * together with the events (the webhook outbox, queries/webhooks.ts).
 */
export function createAuditQueries(db: Knex, options: { afterAppend?: (trx: Knex.Transaction, ids: string[]) => Promise<void> } = {}): AuditQueries {
  return {
    appendChained: (rows, hash) =>
      translated(
        db.transaction(async (trx) => {
          await trx.raw('select pg_advisory_xact_lock(?)', [APPEND_LOCK_KEY]);
          const tail = await trx('audit_events').select('hash').orderBy('id', 'desc').first();
          let checkpoint: { last_pruned_hash: string } | undefined;
          if (!tail) checkpoint = await trx('audit_checkpoints').select('last_pruned_hash').orderBy('id', 'desc').first();
          let prev: string = tail?.hash ?? checkpoint?.last_pruned_hash ?? GENESIS_HASH;
          const chained = rows.map((row) => {
            const current = hash(prev, row);
            const out = { ...row, details: JSON.stringify(row.details), prev_hash: prev, hash: current };
            prev = current;
            return out;
          });
          if (chained.length === 0) return;
          const inserted = (await trx('audit_events').insert(chained).returning('id')) as Array<{ id: string }>;
          await options.afterAppend?.(
            trx,
            inserted.map((row) => String(row.id)),
          );
        }),
      ),
    page: (afterId, limit) =>
      translated(db<AuditRow>('audit_events').select('*').where('id', '>', afterId).orderBy('id').limit(limit)) as Promise<AuditRow[]>,
    latestCheckpoint: () =>
      translated(db('audit_checkpoints').select('pruned_through_id', 'last_pruned_hash').orderBy('id', 'desc').first()),
    query: (filter) => {
      let q = db<AuditRow>('audit_events').select('*').orderBy('id', 'desc').limit(filter.limit);
      if (filter.type) q = q.where({ type: filter.type });
      if (filter.subject) q = q.where({ subject: filter.subject });
      if (filter.actor) q = q.where({ actor: filter.actor });
      if (filter.beforeId) q = q.where('id', '<', filter.beforeId);
      if (filter.since) q = q.where('occurred_at', '>=', filter.since);
      if (filter.until) q = q.where('occurred_at', '<', filter.until);
      return translated(q) as Promise<AuditRow[]>;
    },
    lastIdBefore: async (before) => {
      const row = await translated(db('audit_events').select('id').where('occurred_at', '<', before).orderBy('id', 'desc').first());
      return row ? String(row.id) : undefined;
    },
    pruneThrough: (throughId, limit, now) =>
      translated(
        db.transaction(async (trx) => {
          await trx.raw('select pg_advisory_xact_lock(?)', [APPEND_LOCK_KEY]);
          // Keep the newest row so the tail (and the chain's continuity) never disappears.
          const tail = await trx('audit_events').select('id').orderBy('id', 'desc').first();
          if (!tail) return 0;
          const eligible = () => trx('audit_events').select('id', 'hash').where('id', '<=', throughId).where('id', '<', tail.id);
          // The batch ends at the limit-th oldest eligible row, or at the newest if fewer are left.
          const last = (await eligible().orderBy('id').offset(limit - 1).first()) ?? (await eligible().orderBy('id', 'desc').first());
          if (!last) return 0;
          const deleted = (await trx('audit_events').where('id', '<=', last.id).delete().returning('id')).length;
          await trx('audit_checkpoints').insert({ pruned_through_id: last.id, last_pruned_hash: last.hash, created_at: now });
          return deleted;
        }),
      ),
  };
}
