import type { Knex } from 'knex';

/**
 * Event hooks: audit events delivered to operator-configured webhooks (src/webhooks/).
 *
 * - `webhook_subscriptions`: a receiver URL, the event types it wants (a JSON array; `*` = all)
 *   and its signing secret, sealed under the key-encryption secret (it must be recoverable to
 *   sign, so it cannot be a digest).
 * - `webhook_deliveries`: the outbox. A row per (event, subscription) is inserted in the same
 *   transaction as the audit row (storage/queries/audit-events.ts), so no recorded event can miss
 *   its delivery; the delivery job drains it with retries, then leaves it `dead` for an operator
 *   to look at and redeliver. The event's content is read from `audit_events` when it is sent.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('webhook_subscriptions', (t) => {
    t.text('id').primary();
    t.text('url').notNullable();
    t.jsonb('events').notNullable();
    t.text('description').notNullable().defaultTo('');
    t.text('secret_jwe').notNullable();
    t.boolean('enabled').notNullable().defaultTo(true);
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
  });
  await db.schema.createTable('webhook_deliveries', (t) => {
    t.bigIncrements('id').primary();
    t.text('subscription_id').notNullable().references('webhook_subscriptions.id').onDelete('CASCADE');
    // No foreign key: audit retention may prune the event; its delivery then dead-letters.
    t.bigInteger('audit_event_id').notNullable();
    t.text('event_type').notNullable();
    // 'pending' | 'delivered' | 'dead'
    t.text('status').notNullable().defaultTo('pending');
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).notNullable();
    // The receiver's status or the network error of the last attempt (never a body or a secret).
    t.text('last_error');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('finished_at', { useTz: true });
    t.unique(['audit_event_id', 'subscription_id']);
    t.index(['status', 'next_attempt_at']);
    t.index(['subscription_id', 'status']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('webhook_deliveries');
  await db.schema.dropTableIfExists('webhook_subscriptions');
}
