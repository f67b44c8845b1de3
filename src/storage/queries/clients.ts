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
    /**
     * Read-modify-write under a row lock, so two concurrent changes (two secret rotations, say)
     * cannot lose one another. Returns undefined when the client does not exist.
     */
    transform: (clientId: string, change: (metadata: ClientMetadata) => Promise<ClientMetadata>): Promise<ClientMetadata | undefined> =>
      translated(
        db.transaction(async (trx) => {
          const row = await trx('clients').select('metadata').where({ client_id: clientId }).forUpdate().first();
          if (!row) return undefined;
          const next = await change(row.metadata as ClientMetadata);
          await trx('clients').where({ client_id: clientId }).update({ metadata: JSON.stringify(next), updated_at: trx.fn.now() });
          return next;
        }),
      ),
    list: async (): Promise<ClientMetadata[]> => {
      const rows = await translated(db('clients').select('metadata').orderBy('created_at'));
      return rows.map((row: { metadata: ClientMetadata }) => row.metadata);
    },
    /** Ids of the clients whose metadata lists `resource` (an API identifier, RFC 8707) among its resources. */
    listingResource: async (resource: string): Promise<string[]> =>
      (await translated(db('clients').select('client_id').whereRaw(`metadata->'resources' @> ?::jsonb`, [JSON.stringify([resource])]))).map(
        (row: { client_id: string }) => row.client_id,
      ),
    /** Ids of the clients that registered themselves (RFC 7591): a set, for listing. */
    dynamicIds: async (): Promise<Set<string>> =>
      new Set((await translated(db('dynamic_clients').select('client_id'))).map((row: { client_id: string }) => row.client_id)),
    isDynamic: async (clientId: string): Promise<boolean> =>
      (await translated(db('dynamic_clients').select('client_id').where({ client_id: clientId }).first())) !== undefined,
    // RETURNING rather than the affected-row count: knex-pglite does not report counts.
    delete: async (clientId: string): Promise<boolean> =>
      (await translated(db('clients').where({ client_id: clientId }).delete().returning('client_id'))).length > 0,
  };
}

export type ClientQueries = ReturnType<typeof createClientQueries>;
