import type { Knex } from 'knex';

/**
 * Dynamic client registration (RFC 7591/7592): initial access tokens an operator mints, and the
 * registration record of every client registered with one. Bearer tokens are stored as digests.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('initial_access_tokens', (t) => {
    t.text('id').primary();
    t.text('digest').notNullable().unique();
    t.text('description');
    t.integer('quota').notNullable();
    t.integer('used').notNullable().defaultTo(0);
    // { grantTypes, scopes, redirectUriHosts, allowConfidential, resources }
    t.jsonb('policy').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('revoked_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
  });

  await db.schema.createTable('dynamic_clients', (t) => {
    t.text('client_id').primary().references('clients.client_id').onDelete('CASCADE');
    // The token it was registered with (kept after the token is revoked) and a copy of its
    // policy, so RFC 7592 updates are checked against the rules the client was admitted under.
    t.text('initial_access_token_id').notNullable();
    t.jsonb('policy').notNullable();
    t.text('registration_token_digest').notNullable();
    t.text('software_statement');
    t.timestamp('last_used_at', { useTz: true }).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.index(['last_used_at']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('dynamic_clients');
  await db.schema.dropTableIfExists('initial_access_tokens');
}
