import type { Knex } from 'knex';

/**
 * Passkeys (WebAuthn credentials, src/passkeys/): public material only — the credential ID the
 * authenticator chose and its COSE public key. Nothing stored here lets anyone sign in.
 *
 * - `sign_count`: the last signature counter seen (0 for authenticators that do not count, as
 *   synced passkeys do). A counter that goes backwards is a cloned authenticator's sign.
 * - `backup_eligible` / `backed_up`: the BE/BS flags (a synced, multi-device passkey, or one bound
 *   to this authenticator), refreshed at every use.
 * - `user_handle`: the random WebAuthn user.id given to authenticators for this user (never the
 *   account id, which would leak across sites); the same for all of the user's passkeys.
 *
 * Adding or removing a passkey moves the user's factor epoch (`mfa_state`, 003): a sign-in that
 * decided on the old factors must start again.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('passkeys', (t) => {
    t.text('id').primary();
    t.text('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('credential_id').notNullable().unique();
    t.binary('public_key').notNullable();
    t.text('user_handle').notNullable();
    t.text('name').notNullable();
    t.bigInteger('sign_count').notNullable().defaultTo(0);
    t.jsonb('transports').notNullable().defaultTo('[]');
    t.boolean('backup_eligible').notNullable().defaultTo(false);
    t.boolean('backed_up').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('last_used_at', { useTz: true });
    t.index(['user_id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('passkeys');
}
