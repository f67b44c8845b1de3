import type { Knex } from 'knex';
import { translated } from '../pg-errors.ts';
import type { AuditRow } from './audit-events.ts';

export interface WebhookSubscriptionRow {
  id: string;
  url: string;
  /** Event types (`*` = every type). */
  events: string[];
  description: string;
  secret_jwe: string;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

export interface WebhookDeliveryRow {
  id: string;
  subscription_id: string;
  audit_event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
  finished_at: Date | null;
}

/** The audit event a delivery carries (without the chain's hashes). */
export type HookEventRow = Omit<AuditRow, 'prev_hash' | 'hash'>;

/** A claimed delivery with what sending it needs; `event` is undefined once retention pruned it. */
export interface ClaimedDelivery {
  id: string;
  attempts: number;
  subscription: Pick<WebhookSubscriptionRow, 'id' | 'url' | 'secret_jwe'>;
  event: HookEventRow | undefined;
}

const SUBSCRIPTION_COLUMNS = ['id', 'url', 'events', 'description', 'secret_jwe', 'enabled', 'created_at', 'updated_at'];

const parsedEvents = (row: WebhookSubscriptionRow): WebhookSubscriptionRow => ({
  ...row,
  events: typeof row.events === 'string' ? (JSON.parse(row.events) as string[]) : row.events,
});

/**
 * The outbox rows of audit events just appended, one per enabled subscription that wants the
 * event's type. Called by `appendChained` inside its transaction: an event is recorded together
 * with its deliveries or not at all.
 */
export async function enqueueDeliveries(trx: Knex.Transaction, auditEventIds: readonly string[]): Promise<void> {
  if (auditEventIds.length === 0) return;
  await trx.raw(
    `insert into webhook_deliveries (subscription_id, audit_event_id, event_type, next_attempt_at, created_at)
     select s.id, e.id, e.type, e.occurred_at, e.occurred_at
       from audit_events e
       join webhook_subscriptions s
         on s.enabled and (s.events @> jsonb_build_array(e.type) or s.events @> '["*"]'::jsonb)
      where e.id in (${auditEventIds.map(() => '?').join(', ')})`,
    [...auditEventIds],
  );
}

export function createWebhookQueries(db: Knex) {
  return {
    insertSubscription: (row: WebhookSubscriptionRow) =>
      translated(db('webhook_subscriptions').insert({ ...row, events: JSON.stringify(row.events) })).then(() => undefined),

    findSubscription: async (id: string): Promise<WebhookSubscriptionRow | undefined> => {
      const row = await translated(db('webhook_subscriptions').select(SUBSCRIPTION_COLUMNS).where({ id }).first());
      return row ? parsedEvents(row as WebhookSubscriptionRow) : undefined;
    },

    /** Keyset page ordered by id, strictly after `after`. */
    listSubscriptions: async ({ after, limit }: { after?: string | undefined; limit: number }): Promise<WebhookSubscriptionRow[]> => {
      const base = db('webhook_subscriptions').select(SUBSCRIPTION_COLUMNS);
      const rows = await translated((after === undefined ? base : base.where('id', '>', after)).orderBy('id').limit(limit));
      return (rows as WebhookSubscriptionRow[]).map(parsedEvents);
    },

    /** The updated row, or undefined when there is none with that id. */
    updateSubscription: async (
      id: string,
      patch: Partial<Pick<WebhookSubscriptionRow, 'url' | 'events' | 'description' | 'enabled' | 'secret_jwe'>> & { updated_at: Date },
    ): Promise<WebhookSubscriptionRow | undefined> => {
      const { events, ...rest } = patch;
      const rows = (await translated(
        db('webhook_subscriptions')
          .where({ id })
          .update({ ...rest, ...(events ? { events: JSON.stringify(events) } : {}) })
          .returning(SUBSCRIPTION_COLUMNS),
      )) as WebhookSubscriptionRow[];
      return rows[0] ? parsedEvents(rows[0]) : undefined;
    },

    // RETURNING rather than the affected-row count: knex-pglite does not report counts.
    deleteSubscription: async (id: string): Promise<boolean> =>
      ((await translated(db('webhook_subscriptions').where({ id }).delete().returning('id'))) as unknown[]).length > 0,

    /**
     * Claims up to `limit` pending deliveries that are due: the next attempt moves to `leaseUntil`
     * and the attempt is counted (SKIP LOCKED: instances draining together never take the same
     * row, and a crash mid-send only delays the row to its lease's end).
     */
    claimDue: async (now: Date, leaseUntil: Date, limit: number): Promise<ClaimedDelivery[]> => {
      const claimed = (await translated(
        db('webhook_deliveries')
          .whereIn(
            'id',
            db('webhook_deliveries').select('id').where({ status: 'pending' }).where('next_attempt_at', '<=', now).orderBy('id').limit(limit).forUpdate().skipLocked(),
          )
          .update({ next_attempt_at: leaseUntil, attempts: db.raw('attempts + 1') })
          .returning(['id', 'attempts', 'subscription_id', 'audit_event_id']),
      )) as Array<{ id: string; attempts: number; subscription_id: string; audit_event_id: string }>;
      if (claimed.length === 0) return [];
      const subscriptions = (await translated(
        db('webhook_subscriptions').select('id', 'url', 'secret_jwe').whereIn('id', [...new Set(claimed.map((row) => row.subscription_id))]),
      )) as Array<ClaimedDelivery['subscription']>;
      const events = (await translated(
        db('audit_events')
          .select('id', 'occurred_at', 'type', 'outcome', 'actor', 'subject', 'ip', 'user_agent', 'request_id', 'details')
          .whereIn('id', [...new Set(claimed.map((row) => String(row.audit_event_id)))]),
      )) as HookEventRow[];
      return claimed.flatMap((row) => {
        const subscription = subscriptions.find((s) => s.id === row.subscription_id);
        if (!subscription) return [];
        return [{ id: String(row.id), attempts: row.attempts, subscription, event: events.find((e) => String(e.id) === String(row.audit_event_id)) }];
      });
    },

    delivered: (id: string, now: Date) =>
      translated(db('webhook_deliveries').where({ id }).update({ status: 'delivered', finished_at: now, last_error: null })).then(() => undefined),

    retryLater: (id: string, at: Date, error: string) =>
      translated(db('webhook_deliveries').where({ id }).update({ next_attempt_at: at, last_error: error })).then(() => undefined),

    dead: (id: string, now: Date, error: string) =>
      translated(db('webhook_deliveries').where({ id }).update({ status: 'dead', finished_at: now, last_error: error })).then(() => undefined),

    /** Newest first; `beforeId` continues a previous page. */
    listDeliveries: async (filter: { status?: DeliveryStatus; subscriptionId?: string; beforeId?: string; limit: number }): Promise<WebhookDeliveryRow[]> => {
      let query = db('webhook_deliveries').select('*').orderBy('id', 'desc').limit(filter.limit);
      if (filter.status) query = query.where({ status: filter.status });
      if (filter.subscriptionId) query = query.where({ subscription_id: filter.subscriptionId });
      if (filter.beforeId) query = query.where('id', '<', filter.beforeId);
      return ((await translated(query)) as WebhookDeliveryRow[]).map((row) => ({ ...row, id: String(row.id), audit_event_id: String(row.audit_event_id) }));
    },

    /** A dead delivery back to pending, due now, with a fresh count of attempts; undefined if none. */
    redeliver: async (id: string, now: Date): Promise<WebhookDeliveryRow | undefined> => {
      const rows = (await translated(
        db('webhook_deliveries')
          .where({ id, status: 'dead' })
          .update({ status: 'pending', attempts: 0, next_attempt_at: now, finished_at: null })
          .returning('*'),
      )) as WebhookDeliveryRow[];
      return rows[0] ? { ...rows[0], id: String(rows[0].id), audit_event_id: String(rows[0].audit_event_id) } : undefined;
    },

    /** Deletes up to `limit` deliveries that finished (delivered or dead) before `before`; how many. */
    deleteFinishedBefore: async (before: Date, limit: number): Promise<number> =>
      (
        (await translated(
          db('webhook_deliveries')
            .whereIn('id', db('webhook_deliveries').select('id').whereNot({ status: 'pending' }).where('finished_at', '<', before).limit(limit))
            .delete()
            .returning('id'),
        )) as unknown[]
      ).length,

    findDelivery: async (id: string): Promise<WebhookDeliveryRow | undefined> => {
      const row = (await translated(db('webhook_deliveries').select('*').where({ id }).first())) as WebhookDeliveryRow | undefined;
      return row ? { ...row, id: String(row.id), audit_event_id: String(row.audit_event_id) } : undefined;
    },
  };
}

export type WebhookQueries = ReturnType<typeof createWebhookQueries>;
