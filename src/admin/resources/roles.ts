import { z } from 'zod';
import { NotFound } from '../../errors.ts';
import type { Services } from '../../services.ts';
import { adminRoute, created, keysetAfter, keysetPage, noContent, ok, pageOf, pageQuery } from '../route.ts';

export const role = z
  .object({ name: z.string(), description: z.string(), api: z.string().nullable().describe('The API the role belongs to; null = global.') })
  .meta({ id: 'Role' });
const group = z.object({ name: z.string(), description: z.string() }).meta({ id: 'Group' });
export const groupWithRoles = z
  .object({ name: z.string(), description: z.string(), roles: z.array(z.string()).describe('Roles granted to the group (its members hold them).') })
  .meta({ id: 'GroupWithRoles' });
/** The create bodies (configuration as code uses the same shapes). */
export const newRoleBody = z.object({
  name: z.string().describe('Letters, digits and . _ : - (e.g. orders:admin).'),
  description: z.string().optional().describe('What holding it means, for people.'),
  api: z.string().nullable().optional().describe('The API (identifier) it belongs to; leave out for a global role.'),
});
export const newGroupBody = z.object({
  name: z.string().describe('The group’s name.'),
  description: z.string().optional().describe('Who belongs in it, for people.'),
});
const grantee = z.object({ kind: z.enum(['user', 'client', 'group']), id: z.string().min(1).max(200) });
const roleParams = z.object({ name: z.string().min(1).max(128) });
const groupParams = z.object({ group: z.string().min(1).max(128) });

export function roleRoutes(services: Services) {
  return [
    adminRoute({
      method: 'get',
      path: '/roles',
      operationId: 'listRoles',
      summary: 'List roles, optionally those of one API',
      tag: 'Roles',
      query: pageQuery.extend({ api: z.string().max(500).optional().describe('Only the roles of this API (its identifier).') }),
      responses: { 200: { description: 'A page of roles', schema: pageOf(role) } },
      handle: async ({ query }) =>
        ok(keysetPage(await services.rbac.listRoles({ limit: query.limit, after: keysetAfter(query.cursor), ...(query.api ? { api: query.api } : {}) }))),
    }),
    adminRoute({
      method: 'post',
      path: '/roles',
      operationId: 'createRole',
      summary: 'Create a role, global or belonging to one API',
      tag: 'Roles',
      body: newRoleBody,
      responses: { 201: { description: 'The role', schema: role } },
      handle: async ({ body, principal }) => created(await services.rbac.createRole(body, { actor: principal.subject })),
    }),
    adminRoute({
      method: 'get',
      path: '/roles/{name}',
      operationId: 'getRole',
      summary: 'One role',
      tag: 'Roles',
      params: roleParams,
      responses: { 200: { description: 'The role', schema: role } },
      async handle({ params }) {
        const found = await services.rbac.findRole(params.name);
        if (!found) throw new NotFound(`role ${params.name}`);
        return ok(found);
      },
    }),
    adminRoute({
      method: 'patch',
      path: '/roles/{name}',
      operationId: 'updateRole',
      summary: 'Change a role’s description',
      tag: 'Roles',
      params: roleParams,
      body: z.object({ description: z.string().describe('What holding it means, for people.') }),
      responses: { 200: { description: 'The role', schema: role } },
      handle: async ({ params, body, principal }) => ok(await services.rbac.updateRole(params.name, body, { actor: principal.subject })),
    }),
    adminRoute({
      method: 'delete',
      path: '/roles/{name}',
      operationId: 'deleteRole',
      summary: 'Delete a role and every grant of it',
      tag: 'Roles',
      params: roleParams,
      responses: { 204: { description: 'Deleted' } },
      handle: async ({ params, principal }) => {
        await services.rbac.deleteRole(params.name, { actor: principal.subject });
        return noContent();
      },
    }),
    adminRoute({
      method: 'post',
      path: '/roles/{name}/grants',
      operationId: 'grantRole',
      summary: 'Grant a role to a user, a client or a group',
      tag: 'Roles',
      params: roleParams,
      body: grantee,
      responses: { 204: { description: 'Granted' } },
      handle: async ({ params, body, principal }) => {
        await services.rbac.grant(params.name, body, { actor: principal.subject });
        return noContent();
      },
    }),
    adminRoute({
      method: 'delete',
      path: '/roles/{name}/grants/{kind}/{id}',
      operationId: 'revokeRole',
      summary: 'Revoke a role from a user, a client or a group',
      tag: 'Roles',
      params: roleParams.extend(grantee.shape),
      responses: { 204: { description: 'Revoked' } },
      handle: async ({ params, principal }) => {
        await services.rbac.revoke(params.name, { kind: params.kind, id: params.id }, { actor: principal.subject });
        return noContent();
      },
    }),
    adminRoute({
      method: 'get',
      path: '/groups',
      operationId: 'listGroups',
      summary: 'List groups',
      tag: 'Groups',
      query: pageQuery,
      responses: { 200: { description: 'A page of groups with the roles granted to each', schema: pageOf(groupWithRoles) } },
      async handle({ query }) {
        const page = await services.rbac.listGroups({ limit: query.limit, after: keysetAfter(query.cursor) });
        const items = await Promise.all(
          page.items.map(async (g) => ({ ...g, roles: (await services.rbac.directRoles({ kind: 'group', id: g.name })).map((role) => role.name) })),
        );
        return ok(keysetPage({ items, next: page.next }));
      },
    }),
    adminRoute({
      method: 'post',
      path: '/groups',
      operationId: 'createGroup',
      summary: 'Create a group (grant it roles; its members hold them)',
      tag: 'Groups',
      body: newGroupBody,
      responses: { 201: { description: 'The group', schema: group } },
      handle: async ({ body, principal }) => created(await services.rbac.createGroup(body, { actor: principal.subject })),
    }),
    adminRoute({
      method: 'patch',
      path: '/groups/{group}',
      operationId: 'updateGroup',
      summary: 'Change a group’s description',
      tag: 'Groups',
      params: groupParams,
      body: z.object({ description: z.string().describe('Who belongs in it, for people.') }),
      responses: { 200: { description: 'The group', schema: group } },
      handle: async ({ params, body, principal }) => ok(await services.rbac.updateGroup(params.group, body, { actor: principal.subject })),
    }),
    adminRoute({
      method: 'delete',
      path: '/groups/{group}',
      operationId: 'deleteGroup',
      summary: 'Delete a group; its members lose the roles it held',
      tag: 'Groups',
      params: groupParams,
      responses: { 204: { description: 'Deleted' } },
      handle: async ({ params, principal }) => {
        await services.rbac.deleteGroup(params.group, { actor: principal.subject });
        return noContent();
      },
    }),
    adminRoute({
      method: 'get',
      path: '/groups/{group}/members',
      operationId: 'listGroupMembers',
      summary: 'User ids in a group',
      tag: 'Groups',
      params: groupParams,
      query: pageQuery,
      responses: { 200: { description: 'A page of user ids', schema: pageOf(z.string()) } },
      handle: async ({ params, query }) =>
        ok(keysetPage(await services.rbac.listMembers(params.group, { limit: query.limit, after: keysetAfter(query.cursor) }))),
    }),
    adminRoute({
      method: 'put',
      path: '/groups/{group}/members/{userId}',
      operationId: 'addGroupMember',
      summary: 'Add a user to a group',
      tag: 'Groups',
      params: groupParams.extend({ userId: z.string().min(1).max(100) }),
      responses: { 204: { description: 'Added' } },
      handle: async ({ params, principal }) => {
        await services.rbac.addMember(params.group, params.userId, { actor: principal.subject });
        return noContent();
      },
    }),
    adminRoute({
      method: 'delete',
      path: '/groups/{group}/members/{userId}',
      operationId: 'removeGroupMember',
      summary: 'Remove a user from a group',
      tag: 'Groups',
      params: groupParams.extend({ userId: z.string().min(1).max(100) }),
      responses: { 204: { description: 'Removed' } },
      handle: async ({ params, principal }) => {
        await services.rbac.removeMember(params.group, params.userId, { actor: principal.subject });
        return noContent();
      },
    }),
    adminRoute({
      method: 'put',
      path: '/users/{userId}/org',
      operationId: 'setUserOrg',
      summary: 'Set (or clear, with null) the organisation of a user: the org_id access-token claim',
      tag: 'Users',
      params: z.object({ userId: z.string().min(1).max(100) }),
      body: z.object({ orgId: z.string().nullable() }),
      responses: { 204: { description: 'Set' } },
      handle: async ({ params, body, principal }) => {
        await services.rbac.setOrgId({ kind: 'user', id: params.userId }, body.orgId, { actor: principal.subject });
        return noContent();
      },
    }),
  ];
}
