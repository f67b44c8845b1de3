import type { Knex } from 'knex';
import { translated } from '../pg-errors.ts';

export type ClientMetadata = Record<string, unknown> & { client_id: string };

export function createClientQueries(db: Knex) {
  return {
    insert: (metadata: ClientMetadata) =>
      translated(db('clients').insert({ client_id: metadata.client_id, metadata: JSON.stringify(metadata) })).then(
        () => undefined,
      ),
    update: (metadata: ClientMetadata) =>
      translated(
        db('clients').where({ client_id: metadata.client_id }).update({ metadata: JSON.stringify(metadata), updated_at: db.fn.now() }),
      ).then(() => undefined),
    find: async (clientId: string): Promise<ClientMetadata | undefined> => {
      const row = await translated(db('clients').select('metadata').where({ client_id: clientId }).first());
      return row?.metadata as ClientMetadata | undefined;
    },
    list: async (): Promise<ClientMetadata[]> => {
      const rows = await translated(db('clients').select('metadata').orderBy('created_at'));
      return rows.map((row: { metadata: ClientMetadata }) => row.metadata);
    },
    // RETURNING rather than the affected-row count: knex-pglite does not report counts.
    delete: async (clientId: string): Promise<boolean> =>
      (await translated(db('clients').where({ client_id: clientId }).delete().returning('client_id'))).length > 0,
  };
}

export type ClientQueries = ReturnType<typeof createClientQueries>;
