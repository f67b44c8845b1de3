import type { Knex } from 'knex';
import { translated } from '../pg-errors.ts';

export interface SigningKeyRow {
  kid: string;
  alg: string;
  public_jwk: Record<string, unknown>;
  private_jwk_jwe: string;
  created_at: Date;
  publish_at: Date;
  activate_at: Date;
  deactivate_at: Date | null;
  retire_at: Date | null;
  revoked_at: Date | null;
}

export type KeyTimeUpdate = Partial<Pick<SigningKeyRow, 'activate_at' | 'deactivate_at' | 'retire_at' | 'revoked_at'>>;

/** Arbitrary constant: the advisory lock held by the one instance that rotates keys. */
const ROTATION_LOCK_KEY = 724_311_002;

export interface SigningKeyQueries {
  insert(row: Omit<SigningKeyRow, 'created_at'>): Promise<void>;
  list(): Promise<SigningKeyRow[]>;
  update(kid: string, times: KeyTimeUpdate): Promise<void>;
  fingerprint(): Promise<string>;
  withRotationLock<T>(fn: (locked: SigningKeyQueries) => Promise<T>, options?: { wait: boolean }): Promise<T | undefined>;
}

export function createSigningKeyQueries(db: Knex): SigningKeyQueries {
  return {
    insert: (row: Omit<SigningKeyRow, 'created_at'>) =>
      translated(db('signing_keys').insert({ ...row, public_jwk: JSON.stringify(row.public_jwk) })).then(() => undefined),
    list: () => translated(db<SigningKeyRow>('signing_keys').select('*').orderBy('activate_at', 'asc')) as Promise<SigningKeyRow[]>,
    update: (kid: string, times: KeyTimeUpdate) =>
      translated(db('signing_keys').where({ kid }).update(times)).then(() => undefined),
    /** A cheap fingerprint of the table, polled by every instance to notice changes. */
    fingerprint: async (): Promise<string> => {
      const row = await translated(
        db('signing_keys')
          .select(
            db.raw(
              "count(*)::text || ':' || coalesce(md5(string_agg(kid || activate_at::text || coalesce(deactivate_at::text, '') || coalesce(retire_at::text, '') || coalesce(revoked_at::text, ''), ',' order by kid)), '') as fp",
            ),
          )
          .first(),
      );
      return String(row?.fp ?? '');
    },
    /**
     * Runs `fn` in a transaction holding the rotation lock: exactly one instance rotates. Without
     * `wait`, returns undefined at once when another instance holds it (scheduler ticks); with
     * it, queues behind the holder (start-up, operator commands).
     */
    withRotationLock: <T>(fn: (locked: SigningKeyQueries) => Promise<T>, options = { wait: false }): Promise<T | undefined> =>
      translated<T | undefined>(
        db.transaction(async (trx) => {
          if (options.wait) {
            await trx.raw('select pg_advisory_xact_lock(?)', [ROTATION_LOCK_KEY]);
          } else {
            const result = await trx.raw('select pg_try_advisory_xact_lock(?) as locked', [ROTATION_LOCK_KEY]);
            if (!result.rows?.[0]?.locked) return undefined;
          }
          return fn(createSigningKeyQueries(trx));
        }),
      ),
  };
}
