import type { Knex } from 'knex';
import { translated } from '../pg-errors.ts';

export function createEmailTokenQueries(db: Knex) {
  return {
    insert: (row: { digest: string; purpose: string; userId: string; expiresAt: Date }) =>
      translated(db('email_tokens').insert({ digest: row.digest, purpose: row.purpose, user_id: row.userId, expires_at: row.expiresAt })).then(
        () => undefined,
      ),
    /** Deletes and returns the token if it exists, has this purpose and has not expired: single use, atomically. */
    consume: async (digest: string, purpose: string, now: Date): Promise<string | undefined> => {
      const rows = await translated(
        db('email_tokens').where({ digest, purpose }).where('expires_at', '>', now).delete().returning('user_id'),
      );
      return (rows[0] as { user_id: string } | undefined)?.user_id;
    },
    peek: async (digest: string, purpose: string, now: Date): Promise<string | undefined> =>
      ((await translated(db('email_tokens').select('user_id').where({ digest, purpose }).where('expires_at', '>', now).first())) as
        | { user_id: string }
        | undefined)?.user_id,
    /** Deletes at most `limit` tokens that expired before `before` (never used); returns how many. */
    deleteExpired: async (before: Date, limit: number): Promise<number> => {
      const batch = db('email_tokens').select('digest').where('expires_at', '<', before).limit(limit).forUpdate().skipLocked();
      return (await translated(db('email_tokens').whereIn('digest', batch).delete().returning('purpose'))).length;
    },
    deleteForUser: (userId: string, purpose: string) =>
      translated(db('email_tokens').where({ user_id: userId, purpose }).delete()).then(() => undefined),
  };
}

export type EmailTokenQueries = ReturnType<typeof createEmailTokenQueries>;
