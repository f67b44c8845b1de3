import type { Knex } from 'knex';
import { translated } from '../pg-errors.ts';
import { lockFactor } from './mfa.ts';

/** One passkey as stored: public material only (migrations/020_passkeys.ts). */
export interface PasskeyRow {
  id: string;
  user_id: string;
  credential_id: string;
  public_key: Buffer;
  user_handle: string;
  name: string;
  sign_count: string | number;
  transports: string[];
  backup_eligible: boolean;
  backed_up: boolean;
  created_at: Date;
  last_used_at: Date | null;
}

export interface NewPasskey {
  id: string;
  userId: string;
  credentialId: string;
  publicKey: Uint8Array;
  userHandle: string;
  name: string;
  signCount: number;
  transports: readonly string[];
  backupEligible: boolean;
  backedUp: boolean;
  createdAt: Date;
}

export function createPasskeyQueries(db: Knex) {
  return {
    listByUser: (userId: string) => translated(db<PasskeyRow>('passkeys').where({ user_id: userId }).orderBy('created_at', 'asc')) as Promise<PasskeyRow[]>,

    count: async (userId: string): Promise<number> => {
      const row = await translated(db('passkeys').where({ user_id: userId }).count({ n: '*' }).first());
      return Number(row?.n ?? 0);
    },

    findByCredentialId: (credentialId: string) => translated(db<PasskeyRow>('passkeys').where({ credential_id: credentialId }).first()) as Promise<PasskeyRow | undefined>,

    /**
     * Adds a passkey under the user's factor lock, only if the factor epoch is still `baseEpoch`
     * (the state the enrolment was offered from); moves the epoch on. `duplicate`: the
     * authenticator's credential is already registered (to anyone).
     */
    insert: (row: NewPasskey, baseEpoch: number) =>
      translated(
        db.transaction(async (trx): Promise<{ outcome: 'added'; epoch: number } | { outcome: 'stale' | 'duplicate' }> => {
          const epoch = await lockFactor(trx, row.userId);
          if (epoch !== baseEpoch) return { outcome: 'stale' };
          const inserted = await trx('passkeys')
            .insert({
              id: row.id,
              user_id: row.userId,
              credential_id: row.credentialId,
              public_key: Buffer.from(row.publicKey),
              user_handle: row.userHandle,
              name: row.name,
              sign_count: row.signCount,
              transports: JSON.stringify(row.transports),
              backup_eligible: row.backupEligible,
              backed_up: row.backedUp,
              created_at: row.createdAt,
            })
            .onConflict('credential_id')
            .ignore()
            .returning('id');
          if (inserted.length === 0) return { outcome: 'duplicate' };
          await trx('mfa_state').where({ user_id: row.userId }).update({ epoch: epoch + 1 });
          return { outcome: 'added', epoch: epoch + 1 };
        }),
      ),

    rename: async (userId: string, id: string, name: string): Promise<boolean> =>
      (await translated(db('passkeys').where({ user_id: userId, id }).update({ name }).returning('id'))).length === 1,

    /** Removes one passkey of the user; the epoch moves on. `remaining`: factors the user still has (passkeys + TOTP). */
    remove: (userId: string, id: string) =>
      translated(
        db.transaction(async (trx): Promise<{ removed: boolean; remainingPasskeys: number }> => {
          const epoch = await lockFactor(trx, userId);
          const removed = (await trx('passkeys').where({ user_id: userId, id }).delete().returning('id')).length > 0;
          if (removed) await trx('mfa_state').where({ user_id: userId }).update({ epoch: epoch + 1 });
          const row = await trx('passkeys').where({ user_id: userId }).count({ n: '*' }).first();
          return { removed, remainingPasskeys: Number(row?.n ?? 0) };
        }),
      ),

    /**
     * Records a use: the new counter only if it moved forward from the one the check saw (of two
     * concurrent uses of one assertion, one wins), the backup state and the time.
     */
    recordUse: async (input: { id: string; seenCount: number; newCount: number; backedUp: boolean; at: Date }): Promise<boolean> =>
      (
        await translated(
          db('passkeys')
            .where({ id: input.id, sign_count: input.seenCount })
            .update({ sign_count: input.newCount, backed_up: input.backedUp, last_used_at: input.at })
            .returning('id'),
        )
      ).length === 1,
  };
}

export type PasskeyQueries = ReturnType<typeof createPasskeyQueries>;
