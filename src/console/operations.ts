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

/** A datetime-local field (`2026-11-29T10:30`, read as UTC) as RFC 3339; anything else as typed, for the API to refuse. */
const utc = (value: string) => (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value) ? `${value}:00Z` : value);

const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, 300) : '');

/** GET /console/audit?type=&user=&client=&cursor= — newest first. */
export function auditTrail(deps: ConsoleDeps): Middleware {
  return async (ctx) => {
    const filter = {
      type: text(ctx.query.type),
      user: text(ctx.query.user),
      client: text(ctx.query.client),
      since: text(ctx.query.since),
      until: text(ctx.query.until),
      cursor: text(ctx.query.cursor),
    };
    const response = await adminCall(deps, ctx, {
      method: 'GET',
      path: '/audit-events',
      query: { type: filter.type, user: filter.user, subject: filter.client, since: utc(filter.since), until: utc(filter.until), cursor: filter.cursor, limit: '50' },
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

interface InitialAccessToken {
  id: string;
  description: string | null;
  quota: number;
  used: number;
  policy: { grantTypes: string[]; scopes: string[]; redirectUriHosts: string[] };
  expiresAt: string;
  state: string;
}

const initialAccessTokens = (deps: ConsoleDeps, ctx: Parameters<Middleware>[0]) =>
  adminGet<{ items: InitialAccessToken[] }>(deps, ctx, '/initial-access-tokens');

/** GET /console/registration — initial access tokens for dynamic registration: policy, quota, use. */
export function listInitialAccessTokens(deps: ConsoleDeps): Middleware {
  return async (ctx) => renderPage(deps, ctx, 'registration', { tokens: (await initialAccessTokens(deps, ctx)).items });
}

/** POST /console/registration — mint one; the token is shown once, on this answer. */
export function mintInitialAccessToken(deps: ConsoleDeps): Middleware {
  return async (ctx) => {
    const body = ctx.request.body;
    const days = Number(field(body, 'days') || '7');
    const quota = Number(field(body, 'quota') || '1');
    const hosts = field(body, 'hosts').split(/[\s,]+/).filter(Boolean);
    const description = field(body, 'description');
    const response = await adminCall(deps, ctx, {
      method: 'POST',
      path: '/initial-access-tokens',
      body: {
        expiresIn: Number.isFinite(days) ? Math.round(days * 86_400) : 0,
        quota: Number.isFinite(quota) ? Math.round(quota) : 0,
        ...(hosts.length ? { policy: { redirectUriHosts: hosts } } : {}),
        ...(description ? { description } : {}),
      },
    });
    const tokens = (await initialAccessTokens(deps, ctx)).items;
    if (response.status !== 201) return renderPage(deps, ctx, 'registration', { tokens, error: problemText(response) }, response.status);
    renderPage(deps, ctx, 'registration', { tokens, minted: response.body });
  };
}

export function revokeInitialAccessToken(deps: ConsoleDeps): Middleware {
  return async (ctx) => {
    const response = await adminCall(deps, ctx, { method: 'DELETE', path: `/initial-access-tokens/${enc(ctx.params.id ?? '')}` });
    if (response.status !== 204) return renderPage(deps, ctx, 'problem', { message: problemText(response), back: '/console/registration' }, response.status);
    redirectDone(ctx, '/console/registration', 'iat_revoked');
  };
}
