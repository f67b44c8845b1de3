/** Console pages for signing keys (timeline, rotate, revoke), the audit trail and roles & groups. */
import type { Middleware } from 'koa';
import { adminCall, adminGet, type ConsoleDeps, enc, field, problemText, redirectDone, renderPage } from './context.ts';

interface SigningKey {
  kid: string;
  alg: string;
  state: string;
  publishAt: string;
  activateAt: string;
  deactivateAt: string | null;
  retireAt: string | null;
  revokedAt: string | null;
}

const ORDER = ['active', 'published', 'pending', 'retiring', 'retired', 'revoked'];

export function listKeys(deps: ConsoleDeps): Middleware {
  return async (ctx) => {
    const keys = await adminGet<{ items: SigningKey[] }>(deps, ctx, '/keys');
    const items = [...keys.items].sort((a, b) => ORDER.indexOf(a.state) - ORDER.indexOf(b.state) || b.publishAt.localeCompare(a.publishAt));
    renderPage(deps, ctx, 'keys', { keys: items });
  };
}

export function rotateKeys(deps: ConsoleDeps): Middleware {
  return async (ctx) => {
    const response = await adminCall(deps, ctx, { method: 'POST', path: '/keys/rotate' });
    if (response.status !== 201) return renderPage(deps, ctx, 'problem', { message: problemText(response), back: '/console/keys' }, response.status);
    redirectDone(ctx, '/console/keys', 'rotated');
  };
}

/** Revoking a key logs out everyone whose tokens it signed: the operator types its kid to confirm. */
export function revokeKey(deps: ConsoleDeps): Middleware {
  return async (ctx) => {
    const kid = ctx.params.kid ?? '';
    if (field(ctx.request.body, 'confirm') !== kid) return renderPage(deps, ctx, 'problem', { message: 'console.confirm_mismatch', back: '/console/keys' }, 400);
    const response = await adminCall(deps, ctx, { method: 'POST', path: `/keys/${enc(kid)}/revoke` });
    if (response.status !== 200) return renderPage(deps, ctx, 'problem', { message: problemText(response), back: '/console/keys' }, response.status);
    redirectDone(ctx, '/console/keys', 'revoked');
  };
}

const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, 300) : '');

/** GET /console/audit?type=&user=&client=&cursor= — newest first. */
export function auditTrail(deps: ConsoleDeps): Middleware {
  return async (ctx) => {
    const filter = { type: text(ctx.query.type), user: text(ctx.query.user), client: text(ctx.query.client), cursor: text(ctx.query.cursor) };
    const response = await adminCall(deps, ctx, {
      method: 'GET',
      path: '/audit-events',
      query: { type: filter.type, user: filter.user, subject: filter.client, cursor: filter.cursor, limit: '50' },
    });
    const page = response.status === 200 ? (response.body as { items: Array<Record<string, unknown>>; nextCursor: string | null }) : { items: [], nextCursor: null };
    renderPage(deps, ctx, 'audit', { filter, events: page.items, nextCursor: page.nextCursor, error: response.status === 200 ? undefined : problemText(response) });
  };
}

/** POST /console/audit/verify — walks the hash chain (the check is itself audited). */
export function verifyAudit(deps: ConsoleDeps): Middleware {
  return async (ctx) => {
    const response = await adminCall(deps, ctx, { method: 'POST', path: '/audit-events/verification' });
    if (response.status !== 200) return renderPage(deps, ctx, 'problem', { message: problemText(response), back: '/console/audit' }, response.status);
    renderPage(deps, ctx, 'audit', { filter: {}, events: [], nextCursor: null, verification: response.body });
  };
}

export function rolesAndGroups(deps: ConsoleDeps): Middleware {
  return async (ctx) => {
    const [roles, groups] = await Promise.all([
      adminGet<{ items: Array<{ name: string; description?: string | null }> }>(deps, ctx, '/roles', { limit: '200' }),
      adminGet<{ items: Array<{ name: string; description?: string | null; roles: string[] }> }>(deps, ctx, '/groups', { limit: '200' }),
    ]);
    renderPage(deps, ctx, 'roles', { roles: roles.items, groups: groups.items });
  };
}

/** POST /console/roles and /console/groups: create one (name and description). */
export function createNamed(deps: ConsoleDeps, kind: 'roles' | 'groups'): Middleware {
  return async (ctx) => {
    const description = field(ctx.request.body, 'description');
    const response = await adminCall(deps, ctx, {
      method: 'POST',
      path: `/${kind}`,
      body: { name: field(ctx.request.body, 'name'), ...(description ? { description } : {}) },
    });
    if (response.status !== 201) return renderPage(deps, ctx, 'problem', { message: problemText(response), back: '/console/roles' }, response.status);
    redirectDone(ctx, '/console/roles', kind === 'roles' ? 'role_created' : 'group_created');
  };
}
