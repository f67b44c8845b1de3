import type { Knex } from 'knex';
import { translated } from '../pg-errors.ts';
import type { ClientMetadata } from './clients.ts';

export type ImportLinkKind = 'user' | 'group' | 'client';

export interface ImportLinkRow {
  kind: ImportLinkKind;
  source_key: string;
  target: string;
  fingerprint: string | null;
}

/** The columns of a user an import reads and writes. */
export interface ImportedUserRow {
  id: string;
  email: string;
  email_verified: boolean;
  password_hash: string;
  name: string | null;
  disabled_at: Date | null;
  last_login_at: Date | null;
  created_at: Date;
}

/** What Gatehouse holds now that an import plan compares against. */
export interface ImportFacts {
  links: ImportLinkRow[];
  /** Users with one of the asked emails, or the target of one of the links. */
  users: ImportedUserRow[];
  groups: string[];
  /** Members of the asked groups. */
  memberships: Array<{ group_name: string; user_id: string }>;
  roles: string[];
  /** Direct grants of the asked roles to users. */
  roleGrants: Array<{ role_name: string; user_id: string }>;
  clients: ClientMetadata[];
}

export type UserChanges = Partial<Pick<ImportedUserRow, 'email_verified' | 'password_hash' | 'name' | 'disabled_at' | 'last_login_at'>>;

/** Every write of one import, applied in one transaction. */
export interface ImportWrites {
  source: string;
  roles: string[];
  groups: string[];
  insertUsers: ImportedUserRow[];
  updateUsers: Array<{ id: string; changes: UserChanges }>;
  addMembers: Array<{ group: string; userId: string }>;
  removeMembers: Array<{ group: string; userId: string }>;
  grantRoles: Array<{ role: string; userId: string }>;
  revokeRoles: Array<{ role: string; userId: string }>;
  insertClients: ClientMetadata[];
  updateClients: ClientMetadata[];
  links: Array<{ kind: ImportLinkKind; sourceKey: string; target: string; fingerprint: string | null }>;
  /** allauth social accounts → links to upstream identity providers (an existing link is kept as it is). */
  upstreamLinks?: Array<{ userId: string; provider: string; uid: string }>;
}

// Postgres allows 65,535 bind parameters per statement: stay well below with any row width.
const CHUNK = 500;
function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

const USER_COLUMNS = ['id', 'email', 'email_verified', 'password_hash', 'name', 'disabled_at', 'last_login_at', 'created_at'];

async function readFacts(db: Knex, ask: { source: string; emails: string[]; groups: string[]; roles: string[]; clientIds: string[] }): Promise<ImportFacts> {
  const links = (await db('import_links').where({ source: ask.source }).select('kind', 'source_key', 'target', 'fingerprint')) as ImportLinkRow[];
  const linkedUsers = links.filter((link) => link.kind === 'user').map((link) => link.target);
  const users = new Map<string, ImportedUserRow>();
  for (const part of chunks(ask.emails)) for (const row of await db('users').whereIn('email', part).select(USER_COLUMNS)) users.set(row.id, row);
  for (const part of chunks(linkedUsers)) for (const row of await db('users').whereIn('id', part).select(USER_COLUMNS)) users.set(row.id, row);
  const groupNames = [...new Set([...ask.groups, ...links.filter((link) => link.kind === 'group').map((link) => link.target)])];
  const groups: string[] = [];
  const memberships: ImportFacts['memberships'] = [];
  for (const part of chunks(groupNames)) {
    groups.push(...(await db('groups').whereIn('name', part).pluck('name')));
    memberships.push(...(await db('group_members').whereIn('group_name', part).select('group_name', 'user_id')));
  }
  const roles = ask.roles.length ? ((await db('roles').whereIn('name', ask.roles).pluck('name')) as string[]) : [];
  const roleGrants = ask.roles.length ? await db('user_roles').whereIn('role_name', ask.roles).select('role_name', 'user_id') : [];
  const clientIds = [...new Set([...ask.clientIds, ...links.filter((link) => link.kind === 'client').map((link) => link.target)])];
  const clients: ClientMetadata[] = [];
  for (const part of chunks(clientIds)) {
    clients.push(...(await db('clients').whereIn('client_id', part).select('metadata')).map((row: { metadata: ClientMetadata }) => row.metadata));
  }
  return { links, users: [...users.values()], groups, memberships, roles, roleGrants, clients };
}

async function applyWrites(trx: Knex, writes: ImportWrites): Promise<void> {
  for (const name of writes.roles) await trx('roles').insert({ name, description: 'Imported from Django' }).onConflict('name').ignore();
  for (const name of writes.groups) await trx('groups').insert({ name, description: 'Imported from Django' }).onConflict('name').ignore();
  for (const part of chunks(writes.insertUsers)) await trx('users').insert(part);
  for (const { id, changes } of writes.updateUsers) await trx('users').where({ id }).update({ ...changes, updated_at: trx.fn.now() });
  for (const part of chunks(writes.addMembers)) {
    await trx('group_members').insert(part.map((m) => ({ group_name: m.group, user_id: m.userId }))).onConflict(['group_name', 'user_id']).ignore();
  }
  for (const m of writes.removeMembers) await trx('group_members').where({ group_name: m.group, user_id: m.userId }).delete();
  for (const part of chunks(writes.grantRoles)) {
    await trx('user_roles').insert(part.map((g) => ({ role_name: g.role, user_id: g.userId }))).onConflict(['user_id', 'role_name']).ignore();
  }
  for (const g of writes.revokeRoles) await trx('user_roles').where({ role_name: g.role, user_id: g.userId }).delete();
  for (const metadata of writes.insertClients) await trx('clients').insert({ client_id: metadata.client_id, metadata: JSON.stringify(metadata) });
  for (const metadata of writes.updateClients) {
    await trx('clients').where({ client_id: metadata.client_id }).update({ metadata: JSON.stringify(metadata), updated_at: trx.fn.now() });
  }
  for (const part of chunks(writes.links)) {
    await trx('import_links')
      .insert(part.map((link) => ({ source: writes.source, kind: link.kind, source_key: link.sourceKey, target: link.target, fingerprint: link.fingerprint })))
      .onConflict(['source', 'kind', 'source_key'])
      .merge({ target: trx.raw('excluded.target'), fingerprint: trx.raw('excluded.fingerprint'), updated_at: trx.fn.now() });
  }
  for (const part of chunks(writes.upstreamLinks ?? [])) {
    await trx('upstream_links')
      .insert(part.map((link) => ({ provider: link.provider, subject: link.uid, user_id: link.userId })))
      .onConflict(['provider', 'subject'])
      .ignore();
  }
}

/**
 * Reads what an import compares against, and writes an import's rows. `apply` opens no transaction
 * of its own: the importer composes it in one (storage/transaction.ts), so it lands whole or not at all.
 */
export function createImportQueries(db: Knex) {
  return {
    facts: (ask: { source: string; emails: string[]; groups: string[]; roles: string[]; clientIds: string[] }) => translated(readFacts(db, ask)),
    apply: (writes: ImportWrites) => translated(applyWrites(db, writes)),
  };
}

export type ImportQueries = ReturnType<typeof createImportQueries>;
