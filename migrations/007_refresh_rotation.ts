import type { Knex } from 'knex';

/**
 * Refresh rotation as one storage operation, and grants found by account.
 *
 * - `successor_id`, `successor_sealed`: the rotation writes, on the consumed parent row and in the
 *   same statement that inserts the child, the child's digest and the child's value sealed with a
 *   key derived from the parent token (tokens/successor-seal.ts). A retry inside the grace window
 *   gets the child back from Postgres; a dump holds nothing usable without the parent token.
 * - `rotation_answered_at`: set once the server knows the rotation committed and answers with the
 *   successor. A rotation that committed but was never answered (the link died mid-statement, so
 *   the client got a 503) is replayable by the parent's holder whatever the window
 *   (tokens/refresh-decision.ts).
 * - `account_id`: a Grant's account as an indexed column (the account pages and consent memory
 *   read grants by account; before this they scanned `payload->>'accountId'` over every grant).
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('oidc_payloads', (t) => {
    t.text('account_id');
    t.text('successor_id');
    t.text('successor_sealed');
    t.timestamp('rotation_answered_at', { useTz: true });
  });
  await db.raw(`update oidc_payloads set account_id = payload->>'accountId' where model = 'Grant'`);
  await db.raw(`create index oidc_payloads_grants_by_account on oidc_payloads (account_id, created_at) where model = 'Grant'`);
}

export async function down(db: Knex): Promise<void> {
  await db.raw('drop index if exists oidc_payloads_grants_by_account');
  await db.schema.alterTable('oidc_payloads', (t) => {
    t.dropColumn('rotation_answered_at');
    t.dropColumn('successor_sealed');
    t.dropColumn('successor_id');
    t.dropColumn('account_id');
  });
}
