import type { Knex } from 'knex';
import { translated } from '../pg-errors.ts';

export interface ApiRow {
  identifier: string;
  name: string;
  scopes: Array<{ name: string; description: string }>;
  access_token_ttl: number | null;
}

export function createApiQueries(db: Knex) {
  return {
    insert: (row: ApiRow) =>
      translated(db('apis').insert({ ...row, scopes: JSON.stringify(row.scopes) })).then(() => undefined),
    find: (identifier: string) =>
      translated(db<ApiRow>('apis').select('identifier', 'name', 'scopes', 'access_token_ttl').where({ identifier }).first()) as Promise<
        ApiRow | undefined
      >,
    list: () =>
      translated(db<ApiRow>('apis').select('identifier', 'name', 'scopes', 'access_token_ttl').orderBy('created_at')) as Promise<ApiRow[]>,
  };
}

export type ApiQueries = ReturnType<typeof createApiQueries>;
