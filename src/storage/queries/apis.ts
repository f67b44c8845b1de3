import type { Knex } from 'knex';
import { translated } from '../pg-errors.ts';

export interface ApiRow {
  identifier: string;
  name: string;
  scopes: Array<{ name: string; description: string; descriptions?: Record<string, string> }>;
  access_token_ttl: number | null;
  /** Claims (from the allow-list) its access tokens carry. */
  claims: string[];
  signing_alg: string;
  /** The token-exchange rules (apis/token-exchange.ts), stored as given. */
  token_exchange: unknown[];
  access_token_format: string;
  /** The id the API authenticates with at the introspection endpoint; null: it has no credentials. */
  introspection_client_id: string | null;
  /** How it authenticates there (apis/credentials.ts), a secret only as its digest. */
  introspection_credentials: unknown;
}

const COLUMNS = ['identifier', 'name', 'scopes', 'access_token_ttl', 'claims', 'signing_alg', 'token_exchange', 'access_token_format', 'introspection_client_id', 'introspection_credentials'];
const serialized = (row: Partial<ApiRow>) => ({
  ...row,
  ...(row.scopes ? { scopes: JSON.stringify(row.scopes) } : {}),
  ...(row.claims ? { claims: JSON.stringify(row.claims) } : {}),
  ...(row.token_exchange ? { token_exchange: JSON.stringify(row.token_exchange) } : {}),
  ...(row.introspection_credentials ? { introspection_credentials: JSON.stringify(row.introspection_credentials) } : {}),
});

export function createApiQueries(db: Knex) {
  return {
    insert: (row: Omit<ApiRow, 'introspection_client_id' | 'introspection_credentials'>) => translated(db('apis').insert(serialized(row))).then(() => undefined),
    /** False when there is no such API. */
    update: async (identifier: string, changes: Partial<Omit<ApiRow, 'identifier'>>): Promise<boolean> =>
      ((await translated(db('apis').where({ identifier }).update(serialized(changes)).returning('identifier'))) as unknown[]).length > 0,
    find: (identifier: string) =>
      translated(db('apis').select(COLUMNS).where({ identifier }).first()) as Promise<ApiRow | undefined>,
    findByIntrospectionClientId: (clientId: string) =>
      translated(db('apis').select(COLUMNS).where({ introspection_client_id: clientId }).first()) as Promise<ApiRow | undefined>,
    list: () => translated(db('apis').select(COLUMNS).orderBy('created_at')) as Promise<ApiRow[]>,
    /** False when there is no such API; its roles go with it (foreign key). */
    delete: async (identifier: string): Promise<boolean> =>
      ((await translated(db('apis').where({ identifier }).delete().returning('identifier'))) as unknown[]).length > 0,
  };
}

export type ApiQueries = ReturnType<typeof createApiQueries>;
