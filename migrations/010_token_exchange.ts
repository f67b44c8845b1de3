import type { Knex } from 'knex';

/**
 * Token exchange (RFC 8693, issue 16 part 4) and the access-token format of an API.
 *
 * `token_exchange` is the API's exchange policy: a list of rules, each naming the clients that
 * may trade a token issued for this API for one for another API (`audiences`), the most `scopes`
 * they may carry, `mode` (delegation keeps an `act` chain, impersonation does not) and
 * `maxChainDepth`. The default, `[]`, allows no exchange at all. `access_token_format` is `jwt`
 * (RFC 9068, verifiable with the JWKS) or `opaque` (a stored reference, revocable at once).
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('apis', (t) => {
    t.jsonb('token_exchange').notNullable().defaultTo('[]');
    t.text('access_token_format').notNullable().defaultTo('jwt');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('apis', (t) => {
    t.dropColumn('token_exchange');
    t.dropColumn('access_token_format');
  });
}
