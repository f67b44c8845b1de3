import type { Knex } from 'knex';
import { translated } from '../pg-errors.ts';

/** One upstream identity provider as stored (secrets sealed). */
export interface UpstreamProviderRow {
  name: string;
  display_name: string;
  protocol: 'oidc' | 'oauth2';
  preset: string | null;
  issuer: string;
  authorization_endpoint: string | null;
  token_endpoint: string | null;
  userinfo_endpoint: string | null;
  client_id: string;
  client_secret_sealed: string | null;
  private_key_sealed: string | null;
  client_auth: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  scopes: string[];
  email_domains: string[];
  jit: boolean;
  trusted_for_domains: boolean;
  trust_upstream_mfa: boolean;
  claim_mapping: { email: string; emailVerified: string; name: string; groups: string };
  group_roles: Record<string, string[]>;
  enabled: boolean;
}

export interface UpstreamLinkRow {
  provider: string;
  subject: string;
  user_id: string;
  email: string | null;
  created_at: Date;
  last_used_at: Date | null;
}

const JSON_COLUMNS = ['scopes', 'email_domains', 'claim_mapping', 'group_roles'] as const;
const serialized = (row: Partial<UpstreamProviderRow>) => {
  const out: Record<string, unknown> = { ...row };
  for (const column of JSON_COLUMNS) if (row[column] !== undefined) out[column] = JSON.stringify(row[column]);
  return out;
};

/** `upstream_providers` and `upstream_links`. */
export function createUpstreamProviderQueries(db: Knex) {
  return {
    insert: (row: UpstreamProviderRow) => translated(db('upstream_providers').insert(serialized(row))).then(() => undefined),
    /** False when there is no such provider. */
    update: async (name: string, changes: Partial<Omit<UpstreamProviderRow, 'name'>>): Promise<boolean> =>
      ((await translated(db('upstream_providers').where({ name }).update({ ...serialized(changes), updated_at: db.fn.now() }).returning('name'))) as unknown[]).length > 0,
    find: (name: string) => translated(db('upstream_providers').where({ name }).first()) as Promise<UpstreamProviderRow | undefined>,
    list: () => translated(db('upstream_providers').select('*').orderBy('name')) as Promise<UpstreamProviderRow[]>,
    /** False when there is no such provider; its links go with it. */
    delete: async (name: string): Promise<boolean> => ((await translated(db('upstream_providers').where({ name }).delete().returning('name'))) as unknown[]).length > 0,

    findLink: (provider: string, subject: string) =>
      translated(db('upstream_links').where({ provider, subject }).first()) as Promise<UpstreamLinkRow | undefined>,
    linksOf: (userId: string) =>
      translated(db('upstream_links').where({ user_id: userId }).orderBy('created_at')) as Promise<UpstreamLinkRow[]>,
    /** False when this upstream identity is already linked (to anyone). */
    insertLink: async (link: { provider: string; subject: string; userId: string; email: string | null }): Promise<boolean> => {
      const inserted = await translated(
        db('upstream_links')
          .insert({ provider: link.provider, subject: link.subject, user_id: link.userId, email: link.email, last_used_at: db.fn.now() })
          .onConflict(['provider', 'subject'])
          .ignore()
          .returning('provider'),
      );
      return (inserted as unknown[]).length > 0;
    },
    touchLink: (provider: string, subject: string) =>
      translated(db('upstream_links').where({ provider, subject }).update({ last_used_at: db.fn.now() })).then(() => undefined),
    /** The provider of the account's most recently used link (the `idp` claim). */
    lastUsedProvider: async (userId: string): Promise<string | undefined> => {
      const row = await translated(db('upstream_links').where({ user_id: userId }).whereNotNull('last_used_at').orderBy('last_used_at', 'desc').first('provider'));
      return (row as { provider: string } | undefined)?.provider;
    },
    /** False when there was no such link of that user. */
    deleteLink: async (userId: string, provider: string, subject: string): Promise<boolean> =>
      ((await translated(db('upstream_links').where({ user_id: userId, provider, subject }).delete().returning('provider'))) as unknown[]).length > 0,
  };
}

export type UpstreamProviderQueries = ReturnType<typeof createUpstreamProviderQueries>;
