import type { Knex } from 'knex';
import { translated } from '../pg-errors.ts';

export interface RoleRow {
  name: string;
  description: string;
  /** The API (identifier) the role belongs to; null = global. */
  api: string | null;
}

export interface GroupRow {
  name: string;
  description: string;
}

/** Who a role can be granted to, and where such grants live. */
export type GranteeKind = 'user' | 'client' | 'group';
const GRANTS: Record<GranteeKind, { table: string; column: string }> = {
  user: { table: 'user_roles', column: 'user_id' },
  client: { table: 'client_roles', column: 'client_id' },
  group: { table: 'group_roles', column: 'group_name' },
};

/** Keyset page: rows ordered by name, strictly after `after`. */
export interface PageQuery {
  after?: string | undefined;
  limit: number;
}

const page = <T>(query: Knex.QueryBuilder, { after, limit }: PageQuery) =>
  (after === undefined ? query : query.where('name', '>', after)).orderBy('name').limit(limit) as unknown as Promise<T[]>;

// RETURNING rather than the affected-row count: knex-pglite does not report counts.
const deleted = async (query: Knex.QueryBuilder) => ((await translated(query.delete().returning('*'))) as unknown[]).length > 0;

export function createRbacQueries(db: Knex) {
  return {
    insertRole: (row: RoleRow) => translated(db('roles').insert(row)).then(() => undefined),
    findRole: (name: string) =>
      translated(db<RoleRow>('roles').select('name', 'description', 'api').where({ name }).first()) as Promise<RoleRow | undefined>,
    listRoles: (query: PageQuery & { api?: string | null | undefined }) => {
      const base = db('roles').select('name', 'description', 'api');
      const scoped = query.api === undefined ? base : query.api === null ? base.whereNull('api') : base.where({ api: query.api });
      return translated(page<RoleRow>(scoped, query));
    },
    deleteRole: (name: string) => deleted(db('roles').where({ name })),
    /** False when there is no such role. */
    updateRole: async (name: string, changes: { description: string }): Promise<boolean> =>
      ((await translated(db('roles').where({ name }).update(changes).returning('name'))) as unknown[]).length > 0,

    insertGroup: (row: GroupRow) => translated(db('groups').insert(row)).then(() => undefined),
    findGroup: (name: string) =>
      translated(db<GroupRow>('groups').select('name', 'description').where({ name }).first()) as Promise<GroupRow | undefined>,
    listGroups: (query: PageQuery) => translated(page<GroupRow>(db('groups').select('name', 'description'), query)),
    deleteGroup: (name: string) => deleted(db('groups').where({ name })),
    /** False when there is no such group. */
    updateGroup: async (name: string, changes: { description: string }): Promise<boolean> =>
      ((await translated(db('groups').where({ name }).update(changes).returning('name'))) as unknown[]).length > 0,

    insertMember: (group: string, userId: string) =>
      translated(db('group_members').insert({ group_name: group, user_id: userId })).then(() => undefined),
    deleteMember: (group: string, userId: string) => deleted(db('group_members').where({ group_name: group, user_id: userId })),
    /** User ids in a group, ordered, strictly after `after`. */
    listMembers: async (group: string, { after, limit }: PageQuery): Promise<string[]> => {
      const base = db('group_members').select('user_id').where({ group_name: group });
      const rows = await translated((after === undefined ? base : base.where('user_id', '>', after)).orderBy('user_id').limit(limit));
      return rows.map((row: { user_id: string }) => row.user_id);
    },

    insertGrant: (kind: GranteeKind, role: string, granteeId: string) =>
      translated(db(GRANTS[kind].table).insert({ [GRANTS[kind].column]: granteeId, role_name: role })).then(() => undefined),
    deleteGrant: (kind: GranteeKind, role: string, granteeId: string) =>
      deleted(db(GRANTS[kind].table).where({ [GRANTS[kind].column]: granteeId, role_name: role })),
    /** Roles granted directly to a user, client or group (not through groups). */
    directRoles: (kind: GranteeKind, granteeId: string) =>
      translated(
        db('roles')
          .join(GRANTS[kind].table, `${GRANTS[kind].table}.role_name`, 'roles.name')
          .where(`${GRANTS[kind].table}.${GRANTS[kind].column}`, granteeId)
          .select('roles.name', 'roles.description', 'roles.api')
          .orderBy('roles.name'),
      ) as Promise<RoleRow[]>,
    /** Every role a user holds: granted directly or through any of their groups. */
    rolesOfUser: (userId: string) =>
      translated(
        db('roles')
          .join('user_roles', 'user_roles.role_name', 'roles.name')
          .where('user_roles.user_id', userId)
          .select('roles.name', 'roles.api')
          .union((union) =>
            union
              .from('roles')
              .join('group_roles', 'group_roles.role_name', 'roles.name')
              .join('group_members', 'group_members.group_name', 'group_roles.group_name')
              .where('group_members.user_id', userId)
              .select('roles.name', 'roles.api'),
          ),
      ) as Promise<Array<Pick<RoleRow, 'name' | 'api'>>>,
    groupsOfUser: async (userId: string): Promise<string[]> => {
      const rows = await translated(db('group_members').select('group_name').where({ user_id: userId }).orderBy('group_name'));
      return rows.map((row: { group_name: string }) => row.group_name);
    },

    userExists: async (id: string) => (await translated(db('users').select('id').where({ id }).first())) !== undefined,
    clientExists: async (clientId: string) =>
      (await translated(db('clients').select('client_id').where({ client_id: clientId }).first())) !== undefined,
    orgIdOf: async (kind: 'user' | 'client', id: string): Promise<string | null> => {
      const row = await translated(kind === 'user' ? db('users').select('org_id').where({ id }).first() : db('clients').select('org_id').where({ client_id: id }).first());
      return (row?.org_id as string | null | undefined) ?? null;
    },
    /** False when there is no such user or client. */
    setOrgId: async (kind: 'user' | 'client', id: string, orgId: string | null): Promise<boolean> => {
      const target = kind === 'user' ? db('users').where({ id }) : db('clients').where({ client_id: id });
      return ((await translated(target.update({ org_id: orgId }).returning('org_id'))) as unknown[]).length > 0;
    },
  };
}

export type RbacQueries = ReturnType<typeof createRbacQueries>;
