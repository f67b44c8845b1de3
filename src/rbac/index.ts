/**
 * Roles and groups: roles (global, or belonging to one API), groups holding roles, users in
 * groups, and role grants to users, clients and groups. Knows nothing of HTTP or OIDC; the
 * access-token claims are computed from `subjectFacts` (cached: the token endpoint's hot path).
 *
 * @example
 * const rbac = createRbacService({ rbac: queries.rbac, apiExists, clock, cacheTtlMs: 5000 });
 * await rbac.createRole({ name: 'orders:admin', api: 'https://orders.example.com' });
 * await rbac.createGroup({ name: 'staff' });
 * await rbac.grant('orders:admin', { kind: 'group', id: 'staff' });
 * await rbac.addMember('staff', userId);
 * await rbac.effectiveRoles({ kind: 'user', id: userId }, 'https://orders.example.com'); // ['orders:admin']
 */
import { z } from 'zod';
import type { Clock } from '../clock.ts';
import { Conflict, NotFound } from '../errors.ts';
import type { GroupRow, RbacQueries, RoleRow } from '../storage/queries/rbac.ts';
import { createTtlCache } from '../ttl-cache.ts';
import { validated } from '../validation.ts';
import { rolesFor, type SubjectFacts } from './claims.ts';

export { accessTokenClaims, rolesFor, type SubjectFacts } from './claims.ts';

export type Role = RoleRow;
export type Group = GroupRow;
/** Whose roles: a user (by id) or a client acting for itself (client credentials). */
export interface Principal {
  kind: 'user' | 'client';
  id: string;
}
/** Who a role is granted to. */
export interface Grantee {
  kind: 'user' | 'client' | 'group';
  id: string;
}
/** Keyset pagination: pass `next` back as `after` for the following page. */
export interface Page<T> {
  items: T[];
  next: string | undefined;
}
export interface PageInput {
  limit?: number | undefined;
  after?: string | undefined;
}
/** Who made a change, for the audit trail (an admin's id, `cli`, ...). */
export interface ChangeOptions {
  actor?: string | undefined;
}
export interface RbacChange {
  type: string;
  subject: string;
  actor?: string | undefined;
  details: Record<string, unknown>;
}

/** Role and group names: letters, digits and . _ : - (at most 128, starting with a letter or digit). */
export const RBAC_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const NAME = z.string().regex(RBAC_NAME, 'letters, digits and . _ : - (at most 128, starting with a letter or digit)');
const DESCRIPTION = z.string().max(500).default('');
const newRoleSchema = z.object({ name: NAME, description: DESCRIPTION, api: z.url().nullable().default(null) }).strict();
const newGroupSchema = z.object({ name: NAME, description: DESCRIPTION }).strict();
const descriptionSchema = z.string().max(500);
const pageSchema = z.object({ limit: z.number().int().min(1).max(500).default(100), after: z.string().max(256).optional() });
const orgIdSchema = z.string().min(1).max(128).nullable();

const parsed = <T>(schema: z.ZodType<T>, input: unknown): T => validated(schema, input, 'value');

async function paged<T>(input: PageInput | undefined, load: (page: { after?: string; limit: number }) => Promise<T[]>, key: (item: T) => string): Promise<Page<T>> {
  const { limit, after } = parsed(pageSchema, input ?? {});
  // One extra row tells whether another page follows.
  const rows = await load({ ...(after !== undefined ? { after } : {}), limit: limit + 1 });
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, next: rows.length > limit && last ? key(last) : undefined };
}

export function createRbacService(deps: {
  rbac: RbacQueries;
  apiExists: (identifier: string) => Promise<boolean>;
  onChange: (change: RbacChange) => void;
  clock: Clock;
  /** How long another instance's change may go unseen in tokens (local changes are seen at once). */
  cacheTtlMs: number;
}) {
  const { rbac } = deps;
  const facts = createTtlCache<SubjectFacts>({ ttlMs: deps.cacheTtlMs, maxEntries: 50_000, clock: deps.clock });
  // A change to a role or group can touch any number of subjects; changes are rare, so drop all.
  const changed = (change: RbacChange) => {
    facts.clear();
    deps.onChange(change);
  };
  const describe = (grantee: Grantee) => `${grantee.kind} ${grantee.id}`;

  async function mustExist(grantee: Grantee): Promise<void> {
    const exists =
      grantee.kind === 'user'
        ? await rbac.userExists(grantee.id)
        : grantee.kind === 'client'
          ? await rbac.clientExists(grantee.id)
          : (await rbac.findGroup(grantee.id)) !== undefined;
    if (!exists) throw new NotFound(describe(grantee));
  }
  async function mustFindRole(name: string): Promise<Role> {
    const role = await rbac.findRole(name);
    if (!role) throw new NotFound(`role ${name}`);
    return role;
  }
  async function mustFindGroup(name: string): Promise<Group> {
    const group = await rbac.findGroup(name);
    if (!group) throw new NotFound(`group ${name}`);
    return group;
  }

  const service = {
    async createRole(input: z.input<typeof newRoleSchema>, options: ChangeOptions = {}): Promise<Role> {
      const role = parsed(newRoleSchema, input);
      if (role.api !== null && !(await deps.apiExists(role.api))) throw new NotFound(`API ${role.api}`);
      try {
        await rbac.insertRole(role);
      } catch (error) {
        if (error instanceof Conflict) throw new Conflict(`role ${role.name} already exists`);
        throw error;
      }
      changed({ type: 'role.created', subject: role.name, actor: options.actor, details: { api: role.api } });
      return role;
    },
    findRole: (name: string) => rbac.findRole(name),
    /** A role's description (its name and API are its identity: a role of another API is another role). */
    async updateRole(name: string, changes: { description: string }, options: ChangeOptions = {}): Promise<Role> {
      const description = parsed(descriptionSchema, changes.description);
      if (!(await rbac.updateRole(name, { description }))) throw new NotFound(`role ${name}`);
      changed({ type: 'role.updated', subject: name, actor: options.actor, details: {} });
      return mustFindRole(name);
    },
    /** Roles by name; `api: null` = global roles only, an identifier = that API's roles only. */
    listRoles: (input: PageInput & { api?: string | null | undefined } = {}) =>
      paged(input, (page) => rbac.listRoles({ ...page, api: input.api }), (role) => role.name),
    /** Every grant of the role (to users, clients, groups) goes with it. */
    async deleteRole(name: string, options: ChangeOptions = {}): Promise<void> {
      if (!(await rbac.deleteRole(name))) throw new NotFound(`role ${name}`);
      changed({ type: 'role.deleted', subject: name, actor: options.actor, details: {} });
    },

    async createGroup(input: z.input<typeof newGroupSchema>, options: ChangeOptions = {}): Promise<Group> {
      const group = parsed(newGroupSchema, input);
      try {
        await rbac.insertGroup(group);
      } catch (error) {
        if (error instanceof Conflict) throw new Conflict(`group ${group.name} already exists`);
        throw error;
      }
      changed({ type: 'group.created', subject: group.name, actor: options.actor, details: {} });
      return group;
    },
    findGroup: (name: string) => rbac.findGroup(name),
    async updateGroup(name: string, changes: { description: string }, options: ChangeOptions = {}): Promise<Group> {
      const description = parsed(descriptionSchema, changes.description);
      if (!(await rbac.updateGroup(name, { description }))) throw new NotFound(`group ${name}`);
      changed({ type: 'group.updated', subject: name, actor: options.actor, details: {} });
      return mustFindGroup(name);
    },
    listGroups: (input: PageInput = {}) => paged(input, (page) => rbac.listGroups(page), (group) => group.name),
    /** Its memberships and role grants go with it. */
    async deleteGroup(name: string, options: ChangeOptions = {}): Promise<void> {
      if (!(await rbac.deleteGroup(name))) throw new NotFound(`group ${name}`);
      changed({ type: 'group.deleted', subject: name, actor: options.actor, details: {} });
    },

    async addMember(group: string, userId: string, options: ChangeOptions = {}): Promise<void> {
      await mustFindGroup(group);
      await mustExist({ kind: 'user', id: userId });
      try {
        await rbac.insertMember(group, userId);
      } catch (error) {
        if (error instanceof Conflict) throw new Conflict(`user ${userId} is already in group ${group}`);
        throw error;
      }
      changed({ type: 'group.member_added', subject: userId, actor: options.actor, details: { group } });
    },
    async removeMember(group: string, userId: string, options: ChangeOptions = {}): Promise<void> {
      if (!(await rbac.deleteMember(group, userId))) throw new NotFound(`user ${userId} in group ${group}`);
      changed({ type: 'group.member_removed', subject: userId, actor: options.actor, details: { group } });
    },
    /** User ids in a group. */
    async listMembers(group: string, input: PageInput = {}): Promise<Page<string>> {
      await mustFindGroup(group);
      return paged(input, (page) => rbac.listMembers(group, page), (id) => id);
    },

    async grant(role: string, to: Grantee, options: ChangeOptions = {}): Promise<void> {
      await mustFindRole(role);
      await mustExist(to);
      try {
        await rbac.insertGrant(to.kind, role, to.id);
      } catch (error) {
        if (error instanceof Conflict) throw new Conflict(`role ${role} is already granted to ${describe(to)}`);
        throw error;
      }
      changed({ type: 'role.granted', subject: to.id, actor: options.actor, details: { role, to: to.kind } });
    },
    async revoke(role: string, from: Grantee, options: ChangeOptions = {}): Promise<void> {
      if (!(await rbac.deleteGrant(from.kind, role, from.id))) throw new NotFound(`grant of role ${role} to ${describe(from)}`);
      changed({ type: 'role.revoked', subject: from.id, actor: options.actor, details: { role, from: from.kind } });
    },
    /** Roles granted directly (not through groups) to a user, client or group. */
    directRoles: (grantee: Grantee) => rbac.directRoles(grantee.kind, grantee.id),

    /** The organisation a user or client belongs to (the `org_id` access-token claim); null clears it. */
    async setOrgId(principal: Principal, orgId: string | null, options: ChangeOptions = {}): Promise<void> {
      const value = parsed(orgIdSchema, orgId);
      if (!(await rbac.setOrgId(principal.kind, principal.id, value))) throw new NotFound(describe(principal));
      changed({ type: 'org.assigned', subject: principal.id, actor: options.actor, details: { kind: principal.kind, orgId: value } });
    },

    /** Roles, groups and org of a user or client; cached per subject for the token endpoint. */
    subjectFacts: (principal: Principal): Promise<SubjectFacts> =>
      facts.getOrLoad(`${principal.kind}:${principal.id}`, async () => {
        if (principal.kind === 'client') {
          const [roles, orgId] = await Promise.all([rbac.directRoles('client', principal.id), rbac.orgIdOf('client', principal.id)]);
          return { roles: roles.map(({ name, api }) => ({ name, api })), groups: [], orgId };
        }
        const [roles, groups, orgId] = await Promise.all([
          rbac.rolesOfUser(principal.id),
          rbac.groupsOfUser(principal.id),
          rbac.orgIdOf('user', principal.id),
        ]);
        return { roles, groups, orgId };
      }),
    /** Global roles plus the roles belonging to `api`, held directly or through groups. */
    effectiveRoles: async (principal: Principal, api: string): Promise<string[]> => rolesFor(await service.subjectFacts(principal), api),
    /** Every role name a user or client holds, whatever API it belongs to (the MFA policy asks this). */
    allRoleNames: async (principal: Principal): Promise<string[]> =>
      [...new Set((await service.subjectFacts(principal)).roles.map((role) => role.name))].sort(),
    groupsOf: async (userId: string): Promise<string[]> => [...(await service.subjectFacts({ kind: 'user', id: userId })).groups],
  };
  return service;
}

export type RbacService = ReturnType<typeof createRbacService>;
