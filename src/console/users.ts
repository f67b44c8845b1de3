/** Console pages for users: search, create/invite, and one user's page with every action on it. */
import type { Context, Middleware } from 'koa';
import { AdminProblem, adminCall, adminGet, type ConsoleDeps, enc, field, listField, problemText, redirectDone, renderPage } from './context.ts';

interface User {
  id: string;
  email: string;
  emailVerified: boolean;
  name: string | null;
  disabled: boolean;
  roles: string[];
}
type Page<T> = { items: T[]; nextCursor: string | null };

const queryText = (ctx: Context, name: string) => (typeof ctx.query[name] === 'string' ? String(ctx.query[name]).slice(0, 200) : '');

/** GET /console/users?q=&role=&cursor= */
export function listUsers(deps: ConsoleDeps): Middleware {
  return async (ctx) => {
    const search = { q: queryText(ctx, 'q'), role: queryText(ctx, 'role'), cursor: queryText(ctx, 'cursor') };
    const response = await adminCall(deps, ctx, { method: 'GET', path: '/users', query: { ...search, limit: '50' } });
    const page = response.status === 200 ? (response.body as Page<User>) : { items: [], nextCursor: null };
    const roles = await adminGet<{ items: Array<{ name: string }> }>(deps, ctx, '/roles');
    renderPage(deps, ctx, 'users', {
      search,
      users: page.items,
      nextCursor: page.nextCursor,
      roles: roles.items.map((role) => role.name),
      error: response.status === 200 ? undefined : problemText(response),
    });
  };
}

/** GET /console/users/new */
export function newUserForm(deps: ConsoleDeps): Middleware {
  return async (ctx) => {
    const roles = await adminGet<{ items: Array<{ name: string }> }>(deps, ctx, '/roles');
    renderPage(deps, ctx, 'users-new', { roles: roles.items.map((role) => role.name), form: {} });
  };
}

/**
 * POST /console/users. An invitation is an account with a random password nobody knows and an
 * unverified email; the invited person sets their own through the password-reset mail the console
 * asks Gatehouse to send (the existing flow, with its rate limits and audit).
 */
export function createUser(deps: ConsoleDeps): Middleware {
  return async (ctx) => {
    const body = ctx.request.body;
    const form = { email: field(body, 'email'), name: field(body, 'name'), roles: listField((body as Record<string, unknown>).roles) };
    const password = field(body, 'password');
    const response = await adminCall(deps, ctx, {
      method: 'POST',
      path: '/users',
      body: {
        email: form.email,
        password: password || `${randomPassphrase()}`,
        ...(form.name ? { name: form.name } : {}),
        emailVerified: field(body, 'verified') === 'on',
        roles: form.roles,
      },
    });
    if (response.status !== 201) {
      const roles = await adminGet<{ items: Array<{ name: string }> }>(deps, ctx, '/roles');
      return renderPage(deps, ctx, 'users-new', { roles: roles.items.map((role) => role.name), form, error: problemText(response) }, response.status);
    }
    const user = response.body as User;
    if (!password) {
      const invite = await adminCall(deps, ctx, { method: 'POST', path: `/users/${enc(user.id)}/password-link` });
      if (invite.status !== 202) return redirectDone(ctx, `/console/users/${enc(user.id)}`, 'created_no_mail');
      return redirectDone(ctx, `/console/users/${enc(user.id)}`, 'invited');
    }
    redirectDone(ctx, `/console/users/${enc(user.id)}`, 'created');
  };
}

function randomPassphrase(): string {
  // Nobody learns it: the invited person chooses their own through the mailed link.
  return `${crypto.randomUUID()}-${crypto.randomUUID()}`;
}

/** GET /console/users/:id — roles, groups, sessions, grants and recent audit events. */
export function showUser(deps: ConsoleDeps): Middleware {
  return async (ctx) => {
    const id = enc(ctx.params.id ?? '');
    const userResponse = await adminCall(deps, ctx, { method: 'GET', path: `/users/${id}` });
    if (userResponse.status !== 200) throw new AdminProblem(userResponse);
    const user = userResponse.body as User;
    const [sessions, grants, roles, groups, events] = await Promise.all([
      adminGet<{ items: Array<{ uid: string; signedInAt: string | null; lastActivity: { at: string; ip: string; userAgent: string } | null }> }>(deps, ctx, `/users/${id}/sessions`),
      adminGet<{ items: Array<{ grantId: string; clientId: string; name: string; since: string }> }>(deps, ctx, `/users/${id}/grants`),
      adminGet<{ items: Array<{ name: string }> }>(deps, ctx, '/roles'),
      adminGet<{ items: Array<{ name: string; members?: string[] }> }>(deps, ctx, '/groups'),
      adminGet<{ items: Array<Record<string, unknown>> }>(deps, ctx, '/audit-events', { subject: user.id, limit: '20' }),
    ]);
    const memberships = await Promise.all(
      groups.items.map(async (group) => {
        const members = await adminGet<{ items: string[] }>(deps, ctx, `/groups/${enc(group.name)}/members`, { limit: "200" });
        return { name: group.name, member: members.items.includes(user.id) };
      }),
    );
    renderPage(deps, ctx, 'users-show', {
      user,
      sessions: sessions.items,
      grants: grants.items,
      allRoles: roles.items.map((role) => role.name).filter((name) => !user.roles.includes(name)),
      groups: memberships,
      events: events.items,
    });
  };
}

type Action = (deps: ConsoleDeps, ctx: Context, id: string) => Promise<{ status: number; body?: unknown }>;

/** The user-page actions: one admin request each, then back to the user's page with a notice. */
const ACTIONS: Record<string, { done: string; run: Action }> = {
  disable: { done: 'disabled', run: (deps, ctx, id) => adminCall(deps, ctx, { method: 'PATCH', path: `/users/${id}`, body: { disabled: true } }) },
  enable: { done: 'enabled', run: (deps, ctx, id) => adminCall(deps, ctx, { method: 'PATCH', path: `/users/${id}`, body: { disabled: false } }) },
  rename: {
    done: 'saved',
    run: (deps, ctx, id) => adminCall(deps, ctx, { method: 'PATCH', path: `/users/${id}`, body: { name: field(ctx.request.body, 'name') || null } }),
  },
  'grant-role': {
    done: 'role_granted',
    run: (deps, ctx, id) =>
      adminCall(deps, ctx, { method: 'POST', path: `/roles/${enc(field(ctx.request.body, 'role'))}/grants`, body: { kind: 'user', id: decodeURIComponent(id) } }),
  },
  'revoke-role': {
    done: 'role_revoked',
    run: (deps, ctx, id) => adminCall(deps, ctx, { method: 'DELETE', path: `/roles/${enc(field(ctx.request.body, 'role'))}/grants/user/${id}` }),
  },
  'join-group': {
    done: 'group_joined',
    run: (deps, ctx, id) => adminCall(deps, ctx, { method: 'PUT', path: `/groups/${enc(field(ctx.request.body, 'group'))}/members/${id}` }),
  },
  'leave-group': {
    done: 'group_left',
    run: (deps, ctx, id) => adminCall(deps, ctx, { method: 'DELETE', path: `/groups/${enc(field(ctx.request.body, 'group'))}/members/${id}` }),
  },
  'reset-mfa': { done: 'mfa_reset', run: (deps, ctx, id) => adminCall(deps, ctx, { method: 'DELETE', path: `/users/${id}/mfa` }) },
  'end-sessions': { done: 'sessions_ended', run: (deps, ctx, id) => adminCall(deps, ctx, { method: 'DELETE', path: `/users/${id}/sessions` }) },
  'revoke-grant': {
    done: 'grant_revoked',
    run: (deps, ctx, id) => adminCall(deps, ctx, { method: 'DELETE', path: `/users/${id}/grants/${enc(field(ctx.request.body, 'grant'))}` }),
  },
  'send-reset': {
    done: 'reset_sent',
    run: (deps, ctx, id) => adminCall(deps, ctx, { method: 'POST', path: `/users/${id}/password-link` }),
  },
};

/** POST /console/users/:id/:action */
export function userAction(deps: ConsoleDeps): Middleware {
  return async (ctx) => {
    const action = ACTIONS[ctx.params.action ?? ''];
    const id = enc(ctx.params.id ?? '');
    if (!action) {
      ctx.status = 404;
      return renderPage(deps, ctx, 'problem', { message: 'console.not_found' }, 404);
    }
    const response = await action.run(deps, ctx, id);
    if (response.status >= 400) return renderPage(deps, ctx, 'problem', { message: problemText(response), back: `/console/users/${id}` }, response.status);
    redirectDone(ctx, `/console/users/${id}`, action.done);
  };
}
