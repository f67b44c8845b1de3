import type { Knex } from 'knex';
import { translated } from '../pg-errors.ts';

export interface TotpRow {
  user_id: string;
  secret_jwe: string;
  confirmed_at: Date | null;
  last_used_step: string | null;
}

export function createMfaQueries(db: Knex) {
  return {
    /** Starts (or restarts) an enrolment: a new unconfirmed secret. */
    savePendingSecret: (userId: string, secretJwe: string) =>
      translated(
        db('mfa_totp')
          .insert({ user_id: userId, secret_jwe: secretJwe, confirmed_at: null, last_used_step: null })
          .onConflict('user_id')
          .merge(['secret_jwe', 'confirmed_at', 'last_used_step']),
      ).then(() => undefined),
    find: (userId: string) => translated(db<TotpRow>('mfa_totp').where({ user_id: userId }).first()) as Promise<TotpRow | undefined>,
    confirm: async (userId: string, at: Date, step: number): Promise<boolean> =>
      (await translated(
        db('mfa_totp').where({ user_id: userId }).whereNull('confirmed_at').update({ confirmed_at: at, last_used_step: step }).returning('user_id'),
      )).length === 1,
    /** Accepts a time step only if it is newer than the last accepted one: exactly one caller wins. */
    useStep: async (userId: string, step: number): Promise<boolean> =>
      (await translated(
        db('mfa_totp')
          .where({ user_id: userId })
          .whereNotNull('confirmed_at')
          .where((q) => q.whereNull('last_used_step').orWhere('last_used_step', '<', step))
          .update({ last_used_step: step })
          .returning('user_id'),
      )).length === 1,
    remove: (userId: string) =>
      translated(
        db.transaction(async (trx) => {
          await trx('mfa_recovery_codes').where({ user_id: userId }).delete();
          return (await trx('mfa_totp').where({ user_id: userId }).delete().returning('user_id')).length > 0;
        }),
      ),
    replaceRecoveryCodes: (userId: string, hashes: readonly string[]) =>
      translated(
        db.transaction(async (trx) => {
          await trx('mfa_recovery_codes').where({ user_id: userId }).delete();
          await trx('mfa_recovery_codes').insert(hashes.map((code_hash) => ({ user_id: userId, code_hash })));
        }),
      ),
    useRecoveryCode: async (userId: string, hash: string, at: Date): Promise<boolean> =>
      (await translated(
        db('mfa_recovery_codes').where({ user_id: userId, code_hash: hash }).whereNull('used_at').update({ used_at: at }).returning('id'),
      )).length === 1,
    unusedRecoveryCodes: async (userId: string): Promise<number> => {
      const row = await translated(db('mfa_recovery_codes').where({ user_id: userId }).whereNull('used_at').count({ n: '*' }).first());
      return Number(row?.n ?? 0);
    },
  };
}

export type MfaQueries = ReturnType<typeof createMfaQueries>;
