import type { Knex } from 'knex';

/**
 * Introspection credentials of an API (RFC 7662, issue 16 part 1): a resource server
 * authenticates at the introspection endpoint as itself, not as one of the clients.
 *
 * `introspection_client_id` is the id it authenticates with (unique, so the endpoint finds the
 * API from it); `introspection_credentials` holds how: `{ method, secretDigest?, jwks?, jwksUri? }`
 * (a secret only as its digest, as for clients). Both null: the API cannot introspect.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('apis', (t) => {
    t.text('introspection_client_id').nullable().unique();
    t.jsonb('introspection_credentials').nullable();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('apis', (t) => {
    t.dropColumn('introspection_client_id');
    t.dropColumn('introspection_credentials');
  });
}
