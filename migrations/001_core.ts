import type { Knex } from 'knex';

/** Core schema: accounts, clients, durable oidc-provider models and signing keys. */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('users', (t) => {
    t.text('id').primary();
    t.text('email').notNullable().unique();
    t.boolean('email_verified').notNullable().defaultTo(false);
    t.text('password_hash').notNullable();
    t.text('name');
    t.jsonb('roles').notNullable().defaultTo('[]');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
  });

  await db.schema.createTable('clients', (t) => {
    t.text('client_id').primary();
    t.jsonb('metadata').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
  });

  // Durable oidc-provider models (Grant, RefreshToken, ...). Ids of bearer credentials are
  // stored as SHA-256 digests, so a dump of this table holds no usable token.
  await db.schema.createTable('oidc_payloads', (t) => {
    t.text('model').notNullable();
    t.text('id').notNullable();
    t.jsonb('payload').notNullable();
    t.text('grant_id');
    t.text('uid');
    t.timestamp('expires_at', { useTz: true });
    t.timestamp('consumed_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.primary(['model', 'id']);
    t.index(['grant_id']);
    t.index(['model', 'uid']);
    t.index(['expires_at']);
  });

  // Registered APIs (resource servers): the `aud` of RFC 9068 JWT access tokens.
  await db.schema.createTable('apis', (t) => {
    t.text('identifier').primary();
    t.text('name').notNullable();
    t.jsonb('scopes').notNullable().defaultTo('[]');
    t.integer('access_token_ttl');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
  });

  await db.schema.createTable('signing_keys', (t) => {
    t.text('kid').primary();
    t.text('alg').notNullable();
    t.jsonb('public_jwk').notNullable();
    // Compact JWE (dir + A256GCM) under the key-encryption secret: never plaintext at rest.
    t.text('private_jwk_jwe').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('publish_at', { useTz: true }).notNullable();
    t.timestamp('activate_at', { useTz: true }).notNullable();
    t.timestamp('deactivate_at', { useTz: true });
    t.timestamp('retire_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
  });
}

export async function down(db: Knex): Promise<void> {
  for (const table of ['signing_keys', 'apis', 'oidc_payloads', 'clients', 'users']) {
    await db.schema.dropTableIfExists(table);
  }
}
