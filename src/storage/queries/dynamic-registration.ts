import type { Knex } from 'knex';
import { translated } from '../pg-errors.ts';

export interface InitialAccessTokenRow {
  id: string;
  description: string | null;
  quota: number;
  used: number;
  policy: unknown;
  expiresAt: Date;
  revokedAt: Date | null;
  createdAt: Date;
}

export interface DynamicClientRow {
  clientId: string;
  initialAccessTokenId: string;
  policy: unknown;
  registrationTokenDigest: string;
  softwareStatement: string | null;
  lastUsedAt: Date;
  createdAt: Date;
}

const IAT_COLUMNS = ['id', 'description', 'quota', 'used', 'policy', 'expires_at', 'revoked_at', 'created_at'] as const;

function toIat(row: Record<string, unknown>): InitialAccessTokenRow {
  return {
    id: row.id as string,
    description: (row.description as string | null) ?? null,
    quota: Number(row.quota),
    used: Number(row.used),
    policy: row.policy,
    expiresAt: new Date(row.expires_at as string),
    revokedAt: row.revoked_at ? new Date(row.revoked_at as string) : null,
    createdAt: new Date(row.created_at as string),
  };
}

function toDynamicClient(row: Record<string, unknown>): DynamicClientRow {
  return {
    clientId: row.client_id as string,
    initialAccessTokenId: row.initial_access_token_id as string,
    policy: row.policy,
    registrationTokenDigest: row.registration_token_digest as string,
    softwareStatement: (row.software_statement as string | null) ?? null,
    lastUsedAt: new Date(row.last_used_at as string),
    createdAt: new Date(row.created_at as string),
  };
}

/** A token that is neither revoked nor expired at `now`. */
const usable = (query: Knex.QueryBuilder, now: Date) => query.whereNull('revoked_at').where('expires_at', '>', now);

export function createDynamicRegistrationQueries(db: Knex) {
  return {
    insertInitialAccessToken: (row: { id: string; digest: string; description: string | null; quota: number; policy: unknown; expiresAt: Date }) =>
      translated(
        db('initial_access_tokens').insert({
          id: row.id,
          digest: row.digest,
          description: row.description,
          quota: row.quota,
          policy: JSON.stringify(row.policy),
          expires_at: row.expiresAt,
        }),
      ).then(() => undefined),
    listInitialAccessTokens: async (): Promise<InitialAccessTokenRow[]> =>
      (await translated(db('initial_access_tokens').select(IAT_COLUMNS).orderBy('created_at'))).map(toIat),
    /** Marks a token revoked; false when there is no such token or it was already revoked. */
    revokeInitialAccessToken: async (id: string, now: Date): Promise<boolean> =>
      (await translated(db('initial_access_tokens').where({ id }).whereNull('revoked_at').update({ revoked_at: now }).returning('id'))).length > 0,
    /** The token with this digest if it is usable at `now` (its quota may be used up). */
    findUsableInitialAccessToken: async (digest: string, now: Date): Promise<InitialAccessTokenRow | undefined> => {
      const row = await translated(usable(db('initial_access_tokens').select(IAT_COLUMNS).where({ digest }), now).first());
      return row ? toIat(row as Record<string, unknown>) : undefined;
    },

    /**
     * Takes one unit of the token's quota: a conditional UPDATE, so parallel registrations cannot
     * overspend it. The id of the token, or undefined (nothing written) when it is used up,
     * revoked or expired. Run it in the transaction that inserts the client (storage/transaction.ts).
     */
    takeQuota: async (iatDigest: string, now: Date): Promise<string | undefined> => {
      const taken = await translated(
        usable(db('initial_access_tokens').where({ digest: iatDigest }), now).where('used', '<', db.ref('quota')).increment('used', 1).returning('id'),
      );
      return (taken[0] as { id: string } | undefined)?.id;
    },
    /** The registration record of a client registered with initial access token `iatId`. */
    insertDynamicClient: (row: { clientId: string; iatId: string; policy: unknown; registrationTokenDigest: string; softwareStatement: string | null; now: Date }) =>
      translated(
        db('dynamic_clients').insert({
          client_id: row.clientId,
          initial_access_token_id: row.iatId,
          policy: JSON.stringify(row.policy),
          registration_token_digest: row.registrationTokenDigest,
          software_statement: row.softwareStatement,
          last_used_at: row.now,
          created_at: row.now,
        }),
      ).then(() => undefined),

    findDynamicClient: async (clientId: string): Promise<DynamicClientRow | undefined> => {
      const row = await translated(db('dynamic_clients').select('*').where({ client_id: clientId }).first());
      return row ? toDynamicClient(row as Record<string, unknown>) : undefined;
    },
    /** RFC 7592 update: the statement the client's current metadata came with. */
    setSoftwareStatement: (clientId: string, softwareStatement: string | null) =>
      translated(db('dynamic_clients').where({ client_id: clientId }).update({ software_statement: softwareStatement })).then(() => undefined),
    /** Records use; only rows last marked before `notSince` are written (at most one write per period). */
    touch: (clientId: string, now: Date, notSince: Date) =>
      translated(db('dynamic_clients').where({ client_id: clientId }).where('last_used_at', '<', notSince).update({ last_used_at: now })).then(
        () => undefined,
      ),
    /** Ids of dynamically registered clients unused since `cutoff`. */
    unusedSince: async (cutoff: Date, limit: number): Promise<string[]> =>
      (await translated(db('dynamic_clients').select('client_id').where('last_used_at', '<', cutoff).orderBy('last_used_at').limit(limit))).map(
        (row: { client_id: string }) => row.client_id,
      ),
    /**
     * Locks the registration if it is still unused since `cutoff` (a use in between keeps it):
     * true when it is, and then nobody else can touch or expire it until the transaction ends. The
     * sweep composes this with deleting the client (registration/index.ts) in one transaction.
     */
    lockIfUnusedSince: async (clientId: string, cutoff: Date): Promise<boolean> =>
      (await translated(db('dynamic_clients').select('client_id').where({ client_id: clientId }).where('last_used_at', '<', cutoff).forUpdate().first())) !==
      undefined,
  };
}

export type DynamicRegistrationQueries = ReturnType<typeof createDynamicRegistrationQueries>;
