import type { Knex } from 'knex';

/** Append-only, hash-chained audit trail, and the checkpoint that keeps it verifiable after pruning. */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('audit_events', (t) => {
    t.bigIncrements('id').primary();
    t.timestamp('occurred_at', { useTz: true }).notNullable();
    t.text('type').notNullable();
    t.text('outcome').notNullable();
    t.text('actor');
    t.text('subject');
    t.text('ip');
    t.text('user_agent');
    t.text('request_id');
    t.jsonb('details').notNullable().defaultTo('{}');
    t.text('prev_hash').notNullable();
    t.text('hash').notNullable();
    t.index(['type', 'occurred_at']);
    t.index(['subject', 'occurred_at']);
    t.index(['occurred_at']);
  });
  await db.schema.createTable('audit_checkpoints', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('pruned_through_id').notNullable();
    t.text('last_pruned_hash').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('audit_checkpoints');
  await db.schema.dropTableIfExists('audit_events');
}
