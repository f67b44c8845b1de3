import type { Knex } from 'knex';

/**
 * The language of each account's mails: the page language negotiated when the account was
 * created (registration, a just-in-time federated account) or, for accounts made by an operator
 * or imported, at its first sign-in. Null until then: mails go out in the server's default
 * language (English).
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('users', (t) => {
    t.text('locale');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('users', (t) => {
    t.dropColumn('locale');
  });
}
