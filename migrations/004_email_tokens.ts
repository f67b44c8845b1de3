import type { Knex } from 'knex';

/** Single-use, expiring tokens sent by mail (email verification, password reset), stored as digests. */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('email_tokens', (t) => {
    t.text('digest').primary();
    t.text('purpose').notNullable();
    t.text('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.index(['user_id', 'purpose']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('email_tokens');
}
