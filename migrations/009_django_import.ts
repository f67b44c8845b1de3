import type { Knex } from 'knex';

/**
 * Identities moved from another system (issue #22, Django first):
 * - `users.disabled_at`: an account that may not sign in (Django's `is_active = false`);
 * - `users.last_login_at`: the last successful password check (Django's `last_login` on import);
 * - `import_links`: which Gatehouse record each imported record became, and a fingerprint of
 *   what was imported (a SHA-256 of the source's password hash or client secret), so a re-run
 *   updates instead of duplicating, and never puts back a hash that Gatehouse has since replaced.
 *
 * `users.password_hash` keeps holding any text: imported Django hashes stay there as they are
 * until the first successful sign-in replaces them with argon2id.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('users', (t) => {
    t.timestamp('disabled_at', { useTz: true });
    t.timestamp('last_login_at', { useTz: true });
  });
  await db.schema.createTable('import_links', (t) => {
    // e.g. 'django' (or the name an operator gives a second Django project)
    t.text('source').notNullable();
    // 'user' | 'group' | 'client'
    t.text('kind').notNullable();
    // the record's key in the source (auth_user.id, auth_group.id, the DOT application id)
    t.text('source_key').notNullable();
    // the Gatehouse record: a user id, a group name, a client id
    t.text('target').notNullable();
    t.text('fingerprint');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.primary(['source', 'kind', 'source_key']);
    t.index(['kind', 'target']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('import_links');
  await db.schema.alterTable('users', (t) => {
    t.dropColumn('disabled_at');
    t.dropColumn('last_login_at');
  });
}
