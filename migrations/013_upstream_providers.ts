import type { Knex } from 'knex';

/**
 * Upstream identity providers (federation, src/federation/) and the links between an upstream
 * identity (provider + its `sub`) and a Gatehouse account. The client secret and the private key
 * for private_key_jwt are sealed (JWE dir/A256GCM under the key-encryption secret), like signing keys.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('upstream_providers', (t) => {
    // The slug in URLs (/federation/<name>/callback) and in the `idp` claim.
    t.text('name').primary();
    t.text('display_name').notNullable();
    // 'oidc' (discovery by issuer, ID token) | 'oauth2' (endpoints + userinfo, GitHub-style)
    t.text('protocol').notNullable();
    t.text('preset');
    t.text('issuer').notNullable();
    // Set for plain OAuth 2 (and overrides of discovery); null: from discovery.
    t.text('authorization_endpoint');
    t.text('token_endpoint');
    t.text('userinfo_endpoint');
    t.text('client_id').notNullable();
    t.text('client_secret_sealed');
    t.text('private_key_sealed');
    // 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt'
    t.text('client_auth').notNullable();
    t.jsonb('scopes').notNullable();
    t.jsonb('email_domains').notNullable().defaultTo('[]');
    t.boolean('jit').notNullable().defaultTo(false);
    t.boolean('trusted_for_domains').notNullable().defaultTo(false);
    t.boolean('trust_upstream_mfa').notNullable().defaultTo(false);
    t.jsonb('claim_mapping').notNullable();
    t.jsonb('group_roles').notNullable().defaultTo('{}');
    t.boolean('enabled').notNullable().defaultTo(true);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
  });
  await db.schema.createTable('upstream_links', (t) => {
    t.text('provider').notNullable().references('name').inTable('upstream_providers').onDelete('CASCADE');
    t.text('subject').notNullable();
    t.text('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('email');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('last_used_at', { useTz: true });
    t.primary(['provider', 'subject']);
    t.index(['user_id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('upstream_links');
  await db.schema.dropTableIfExists('upstream_providers');
}
