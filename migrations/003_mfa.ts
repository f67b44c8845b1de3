import type { Knex } from 'knex';

/** TOTP secrets (sealed at rest) with the last accepted time step, and hashed recovery codes. */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('mfa_totp', (t) => {
    t.text('user_id').primary().references('users.id').onDelete('CASCADE');
    t.text('secret_jwe').notNullable();
    t.timestamp('confirmed_at', { useTz: true });
    t.bigInteger('last_used_step');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
  });
  await db.schema.createTable('mfa_recovery_codes', (t) => {
    t.bigIncrements('id').primary();
    t.text('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('code_hash').notNullable();
    t.timestamp('used_at', { useTz: true });
    t.index(['user_id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('mfa_recovery_codes');
  await db.schema.dropTableIfExists('mfa_totp');
}
