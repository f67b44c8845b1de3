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

export function createSigningKeyQueries(db: Knex) {
  return {
    insert: (row: Omit<SigningKeyRow, 'created_at' | 'public_jwk'> & { public_jwk: Record<string, unknown> }) =>
      translated(db('signing_keys').insert({ ...row, public_jwk: JSON.stringify(row.public_jwk) })).then(
        () => undefined,
      ),
    list: () => translated(db<SigningKeyRow>('signing_keys').select('*').orderBy('activate_at', 'asc')) as Promise<SigningKeyRow[]>,
  };
}

export type SigningKeyQueries = ReturnType<typeof createSigningKeyQueries>;
