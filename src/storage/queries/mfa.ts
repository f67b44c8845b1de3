import type { Knex } from 'knex';
import { translated } from '../pg-errors.ts';

/** A confirmed TOTP factor (pending enrolments live in `mfa_enrolments`, never here). */
export interface TotpRow {
  user_id: string;
  secret_jwe: string;
  confirmed_at: Date;
  last_used_step: string | null;
}

export interface EnrolmentRow {
  id: string;
  user_id: string;
  secret_jwe: string;
  base_epoch: string | number;
  expires_at: Date;
}

/**
 * Every transaction that changes a user's MFA rows takes this lock first (the user's `mfa_state`
 * row, created at epoch 0 if absent): one lock order, so concurrent changes queue instead of
 * deadlocking. Returns the current epoch.
 */
export async function lockFactor(trx: Knex.Transaction, userId: string): Promise<number> {
  await trx('mfa_state').insert({ user_id: userId, epoch: 0 }).onConflict('user_id').ignore();
  const row = (await trx('mfa_state').select('epoch').where({ user_id: userId }).forUpdate().first()) as { epoch: string | number };
  return Number(row.epoch);
}

export function createMfaQueries(db: Knex) {
  return {
    find: (userId: string) => translated(db<TotpRow>('mfa_totp').where({ user_id: userId }).first()) as Promise<TotpRow | undefined>,

    /**
     * The factor state in one statement (every sign-in step reads it): whether a TOTP authenticator
     * is set up, how many passkeys the user has (passkeys/ keeps them) and the epoch (how many
     * times the factor changed, 0 when it never did).
     */
    factorFacts: async (userId: string): Promise<{ totp: boolean; passkeys: number; epoch: number }> => {
      const row = (await translated(
        db
          .select(
            db.raw('exists (select 1 from mfa_totp where user_id = ?) as totp', [userId]),
            db.raw('(select count(*) from passkeys where user_id = ?) as passkeys', [userId]),
            db.raw('coalesce((select epoch from mfa_state where user_id = ?), 0) as epoch', [userId]),
          )
          .first(),
      )) as { totp: boolean; passkeys: string | number; epoch: string | number };
      return { totp: row.totp === true, passkeys: Number(row.passkeys), epoch: Number(row.epoch) };
    },

    /** A pending enrolment; expired ones of the same user are swept on the way. */
    createEnrolment: (row: { id: string; userId: string; secretJwe: string; baseEpoch: number; expiresAt: Date; now: Date }) =>
      translated(
        db.transaction(async (trx) => {
          await lockFactor(trx, row.userId);
          await trx('mfa_enrolments').where({ user_id: row.userId }).where('expires_at', '<=', row.now).delete();
          await trx('mfa_enrolments').insert({ id: row.id, user_id: row.userId, secret_jwe: row.secretJwe, base_epoch: row.baseEpoch, expires_at: row.expiresAt });
        }),
      ).then(() => undefined),

    findEnrolment: (id: string, userId: string, now: Date) =>
      translated(db<EnrolmentRow>('mfa_enrolments').where({ id, user_id: userId }).where('expires_at', '>', now).first()) as Promise<
        EnrolmentRow | undefined
      >,

    /**
     * Makes a pending enrolment the user's factor — only if the factor epoch is still the one the
     * enrolment started from (compare-and-set under the user's factor lock: of two racing
     * confirmations, or a confirmation racing any other change, exactly one wins). Replaces any
     * previous factor and its recovery codes, and drops every other pending enrolment of the user.
     */
    confirmEnrolment: (input: { id: string; userId: string; now: Date; step: number; recoveryCodeHashes: readonly string[] }) =>
      translated(
        db.transaction(async (trx): Promise<{ outcome: 'enrolled' | 'replaced'; epoch: number } | { outcome: 'stale' }> => {
          const epoch = await lockFactor(trx, input.userId);
          const pending = (await trx('mfa_enrolments').where({ id: input.id, user_id: input.userId }).where('expires_at', '>', input.now).first()) as
            | EnrolmentRow
            | undefined;
          if (!pending || Number(pending.base_epoch) !== epoch) return { outcome: 'stale' };
          await trx('mfa_state').where({ user_id: input.userId }).update({ epoch: epoch + 1 });
          const previous = await trx('mfa_totp').where({ user_id: input.userId }).delete().returning('user_id');
          await trx('mfa_totp').insert({ user_id: input.userId, secret_jwe: pending.secret_jwe, confirmed_at: input.now, last_used_step: input.step });
          await trx('mfa_enrolments').where({ user_id: input.userId }).delete();
          await trx('mfa_recovery_codes').where({ user_id: input.userId }).delete();
          await trx('mfa_recovery_codes').insert(input.recoveryCodeHashes.map((code_hash) => ({ user_id: input.userId, code_hash })));
          return { outcome: previous.length > 0 ? 'replaced' : 'enrolled', epoch: epoch + 1 };
        }),
      ),

    /** Accepts a time step only if it is newer than the last accepted one: exactly one caller wins. */
    useStep: async (userId: string, step: number): Promise<boolean> =>
      (
        await translated(
          db('mfa_totp')
            .where({ user_id: userId })
            .where((q) => q.whereNull('last_used_step').orWhere('last_used_step', '<', step))
            .update({ last_used_step: step })
            .returning('user_id'),
        )
      ).length === 1,

    /** Removes the factor, its recovery codes and pending enrolments; the epoch moves on either way. */
    remove: (userId: string) =>
      translated(
        db.transaction(async (trx) => {
          const epoch = await lockFactor(trx, userId);
          await trx('mfa_recovery_codes').where({ user_id: userId }).delete();
          await trx('mfa_enrolments').where({ user_id: userId }).delete();
          const removed = (await trx('mfa_totp').where({ user_id: userId }).delete().returning('user_id')).length > 0;
          if (removed) await trx('mfa_state').where({ user_id: userId }).update({ epoch: epoch + 1 });
          return removed;
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
      (await translated(db('mfa_recovery_codes').where({ user_id: userId, code_hash: hash }).whereNull('used_at').update({ used_at: at }).returning('id')))
        .length === 1,
    unusedRecoveryCodes: async (userId: string): Promise<number> => {
      const row = await translated(db('mfa_recovery_codes').where({ user_id: userId }).whereNull('used_at').count({ n: '*' }).first());
      return Number(row?.n ?? 0);
    },
  };
}

export type MfaQueries = ReturnType<typeof createMfaQueries>;
