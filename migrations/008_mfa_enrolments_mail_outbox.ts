import type { Knex } from 'knex';

/**
 * Second factors that cannot be overwritten, and mail that survives a failing SMTP server.
 *
 * - `mfa_totp` holds confirmed factors only (confirmed_at NOT NULL): an enrolment in progress
 *   lives in `mfa_enrolments`, so no code path can turn a confirmed factor back into a pending one.
 *   Unconfirmed rows left by older versions were abandoned enrolments; they are dropped.
 * - `mfa_state.epoch` counts every change of a user's factor (enrolled, replaced, removed). A
 *   sign-in records the epoch it started from; an enrolment carries the epoch it was started at
 *   and is confirmed only if nothing changed in between (compare-and-set in one transaction).
 * - `mail_outbox`: every user mail is queued here (body sealed: reset links are credentials) and
 *   delivered off the request path, with retries.
 */
export async function up(db: Knex): Promise<void> {
  await db('mfa_totp').whereNull('confirmed_at').delete();
  await db.schema.alterTable('mfa_totp', (t) => {
    t.timestamp('confirmed_at', { useTz: true }).notNullable().alter();
  });
  await db.schema.createTable('mfa_state', (t) => {
    t.text('user_id').primary().references('users.id').onDelete('CASCADE');
    t.bigInteger('epoch').notNullable().defaultTo(0);
  });
  await db.schema.createTable('mfa_enrolments', (t) => {
    t.text('id').primary();
    t.text('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('secret_jwe').notNullable();
    t.bigInteger('base_epoch').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['user_id']);
  });
  await db.schema.createTable('mail_outbox', (t) => {
    t.bigIncrements('id').primary();
    t.text('recipient').notNullable();
    t.text('subject').notNullable();
    t.text('body_jwe').notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).notNullable();
    t.text('last_error');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.index(['next_attempt_at']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('mail_outbox');
  await db.schema.dropTableIfExists('mfa_enrolments');
  await db.schema.dropTableIfExists('mfa_state');
  await db.schema.alterTable('mfa_totp', (t) => {
    t.timestamp('confirmed_at', { useTz: true }).nullable().alter();
  });
}
