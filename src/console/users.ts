/** Console pages for users: search, create/invite, and one user's page with every action on it. */
import type { Context } from 'koa';
import { z } from 'zod';
import { type Route, route } from '../http/route.ts';
import type { AuditEvent, Group, Page, Role, User, UserGrant, UserSession } from './admin-shapes.ts';
import { adminCall, adminGet, adminWrite, type ConsoleDeps, enc, formCheckbox, formList, formText, problemText, redirectDone, renderPage } from './context.ts';

/**
 * The search: text (email or name), role, and organisation — the user's `org_id` (the access-token
 * claim set with `PUT /users/{id}/org`), matched exactly.
 */
const searchQuery = z.object({ q: formText(200), role: formText(128), org: formText(128), cursor: formText(300) });
const newUserForm = z.object({ email: formText(254), name: formText(200), password: formText(4096), verified: formCheckbox, roles: formList });
const userParams = z.object({ id: z.string().min(1).max(100) });
/** Every field any user-page action reads (each action's form sends the one it needs). */
const actionForm = z.object({ name: formText(200), role: formText(128), group: formText(128), grant: formText(200), org: formText(128) });
type ActionForm = z.output<typeof actionForm>;

const roleNames = async (deps: ConsoleDeps, ctx: Context) => (await adminGet<Page<Role>>(deps, ctx, '/roles', { limit: '200' })).items.map((role) => role.name);

function randomPassphrase(): string {
  // Nobody learns it: the invited person chooses their own through the mailed link.
  return `${crypto.randomUUID()}-${crypto.randomUUID()}`;
}

type AdminRequest = Parameters<typeof adminCall>[2];

/** The user-page actions: one admin request each, then back to the user's page with a notice. */
const ACTIONS: Record<string, { done: string; request: (id: string, form: ActionForm) => AdminRequest }> = {
  disable: { done: 'disabled', request: (id) => ({ method: 'PATCH', path: `/users/${id}`, body: { disabled: true } }) },
  enable: { done: 'enabled', request: (id) => ({ method: 'PATCH', path: `/users/${id}`, body: { disabled: false } }) },
  rename: { done: 'saved', request: (id, form) => ({ method: 'PATCH', path: `/users/${id}`, body: { name: form.name || null } }) },
  'set-org': { done: 'saved', request: (id, form) => ({ method: 'PUT', path: `/users/${id}/org`, body: { orgId: form.org || null } }) },
  'grant-role': { done: 'role_granted', request: (id, form) => ({ method: 'POST', path: `/roles/${enc(form.role)}/grants`, body: { kind: 'user', id: decodeURIComponent(id) } }) },
  'revoke-role': { done: 'role_revoked', request: (id, form) => ({ method: 'DELETE', path: `/roles/${enc(form.role)}/grants/user/${id}` }) },
  'join-group': { done: 'group_joined', request: (id, form) => ({ method: 'PUT', path: `/groups/${enc(form.group)}/members/${id}` }) },
  'leave-group': { done: 'group_left', request: (id, form) => ({ method: 'DELETE', path: `/groups/${enc(form.group)}/members/${id}` }) },
  'reset-mfa': { done: 'mfa_reset', request: (id) => ({ method: 'DELETE', path: `/users/${id}/mfa` }) },
  'end-sessions': { done: 'sessions_ended', request: (id) => ({ method: 'DELETE', path: `/users/${id}/sessions` }) },
  'revoke-grant': { done: 'grant_revoked', request: (id, form) => ({ method: 'DELETE', path: `/users/${id}/grants/${enc(form.grant)}` }) },
  'send-reset': { done: 'reset_sent', request: (id) => ({ method: 'POST', path: `/users/${id}/password-link` }) },
};
const actionParams = userParams.extend({ action: z.enum(Object.keys(ACTIONS) as [string, ...string[]]) });

export function userRoutes(deps: ConsoleDeps): Route[] {
  return [
    route({
      method: 'get',
      path: '/users',
      query: searchQuery,
      async handle(ctx, { query: search }) {
        const response = await adminCall(deps, ctx, { method: 'GET', path: '/users', query: { ...search, limit: '50' } });
        const page = response.status === 200 ? (response.body as Page<User>) : { items: [], nextCursor: null };
        renderPage(deps, ctx, 'users', {
          search,
          users: page.items,
          nextCursor: page.nextCursor,
          roles: await roleNames(deps, ctx),
          error: response.status === 200 ? undefined : problemText(response),
        });
      },
    }),
    route({
      method: 'get',
      path: '/users/new',
      handle: async (ctx) => renderPage(deps, ctx, 'users-new', { roles: await roleNames(deps, ctx), form: {} }),
    }),
    // An invitation is an account with a random password nobody knows and an unverified email; the
    // invited person sets their own through the password-reset mail the console asks Gatehouse to
    // send (the existing flow, with its rate limits and audit).
    route({
      method: 'post',
      path: '/users',
      body: newUserForm,
      async handle(ctx, { body }) {
        const response = await adminCall(deps, ctx, {
          method: 'POST',
          path: '/users',
          body: { email: body.email, password: body.password || randomPassphrase(), ...(body.name ? { name: body.name } : {}), emailVerified: body.verified, roles: body.roles },
        });
        if (response.status !== 201) {
          const form = { email: body.email, name: body.name, roles: body.roles };
          return renderPage(deps, ctx, 'users-new', { roles: await roleNames(deps, ctx), form, error: problemText(response) }, response.status);
        }
        const user = response.body as User;
        if (!body.password) {
          const invite = await adminCall(deps, ctx, { method: 'POST', path: `/users/${enc(user.id)}/password-link` });
          return redirectDone(ctx, `/console/users/${enc(user.id)}`, invite.status === 202 ? 'invited' : 'created_no_mail');
        }
        redirectDone(ctx, `/console/users/${enc(user.id)}`, 'created');
      },
    }),
    // Roles, groups, sessions, grants and recent audit events.
    route({
      method: 'get',
      path: '/users/:id',
      params: userParams,
      async handle(ctx, { params }) {
        const id = enc(params.id);
        const user = await adminGet<User>(deps, ctx, `/users/${id}`);
        const [sessions, grants, roles, groups, events] = await Promise.all([
          adminGet<{ items: UserSession[] }>(deps, ctx, `/users/${id}/sessions`),
          adminGet<{ items: UserGrant[] }>(deps, ctx, `/users/${id}/grants`),
          roleNames(deps, ctx),
          adminGet<Page<Group>>(deps, ctx, '/groups', { limit: '200' }),
          adminGet<Page<AuditEvent>>(deps, ctx, '/audit-events', { subject: user.id, limit: '20' }),
        ]);
        const memberships = await Promise.all(
          groups.items.map(async (group) => {
            const members = await adminGet<Page<string>>(deps, ctx, `/groups/${enc(group.name)}/members`, { limit: '200' });
            return { name: group.name, member: members.items.includes(user.id) };
          }),
        );
        renderPage(deps, ctx, 'users-show', {
          user,
          sessions: sessions.items,
          grants: grants.items,
          allRoles: roles.filter((name) => !user.roles.includes(name)),
          groups: memberships,
          events: events.items,
        });
      },
    }),
    route({
      method: 'post',
      path: '/users/:id/:action',
      params: actionParams,
      body: actionForm,
      handle: (ctx, { params, body }) => {
        const action = ACTIONS[params.action]!;
        const page = `/console/users/${enc(params.id)}`;
        return adminWrite(deps, ctx, action.request(enc(params.id), body), { back: page, done: [page, action.done] });
      },
    }),
  ];
}
