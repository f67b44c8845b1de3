/** Console pages for signing keys (timeline, rotate, revoke), the audit trail, roles & groups and dynamic registration. */
import type { Context } from 'koa';
import { z } from 'zod';
import { type Route, route } from '../http/route.ts';
import type { AuditEvent, Group, InitialAccessToken, Page, Role, SigningKey } from './admin-shapes.ts';
import { adminCall, adminGet, adminWrite, type ConsoleDeps, confirmForm, enc, formText, problemText, renderPage } from './context.ts';

const ORDER = ['active', 'published', 'pending', 'retiring', 'retired', 'revoked'];

/** A datetime-local field (`2026-11-29T10:30`, read as UTC) as RFC 3339; anything else as typed, for the API to refuse. */
const utc = (value: string) => (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value) ? `${value}:00Z` : value);

const auditQuery = z.object({
  type: formText(300),
  user: formText(300),
  client: formText(300),
  since: formText(300),
  until: formText(300),
  cursor: formText(300),
});
const namedForm = z.object({ name: formText(128), description: formText(500) });
const nameParams = z.object({ name: z.string().min(1).max(128) });
const mintForm = z.object({ days: formText(12), quota: formText(12), hosts: formText(5_000), description: formText(500) });

const initialAccessTokens = (deps: ConsoleDeps, ctx: Context) => adminGet<{ items: InitialAccessToken[] }>(deps, ctx, '/initial-access-tokens');

/** Create and delete (typed confirmation) for roles and for groups: the same forms, two admin collections. */
function namedRoutes(deps: ConsoleDeps, kind: 'roles' | 'groups'): Route[] {
  const done = kind === 'roles' ? { created: 'role_created', deleted: 'role_deleted' } : { created: 'group_created', deleted: 'group_deleted' };
  return [
    route({
      method: 'post',
      path: `/${kind}`,
      body: namedForm,
      handle: (ctx, { body }) =>
        adminWrite(
          deps,
          ctx,
          { method: 'POST', path: `/${kind}`, body: { name: body.name, ...(body.description ? { description: body.description } : {}) } },
          { expect: 201, back: '/console/roles', done: ['/console/roles', done.created] },
        ),
    }),
    // Deleting a role takes it from everyone who holds it; a group's members leave it: the name is typed to confirm.
    route({
      method: 'post',
      path: `/${kind}/:name/delete`,
      params: nameParams,
      body: confirmForm,
      handle: (ctx, { params: { name }, body }) =>
        adminWrite(
          deps,
          ctx,
          { method: 'DELETE', path: `/${kind}/${enc(name)}` },
          { expect: 204, back: '/console/roles', done: ['/console/roles', done.deleted], confirm: [body.confirm, name] },
        ),
    }),
  ];
}

export function operationRoutes(deps: ConsoleDeps): Route[] {
  return [
    route({
      method: 'get',
      path: '/keys',
      async handle(ctx) {
        const keys = await adminGet<{ items: SigningKey[] }>(deps, ctx, '/keys');
        const items = [...keys.items].sort((a, b) => ORDER.indexOf(a.state) - ORDER.indexOf(b.state) || b.publishAt.localeCompare(a.publishAt));
        renderPage(deps, ctx, 'keys', { keys: items });
      },
    }),
    route({
      method: 'post',
      path: '/keys/rotate',
      handle: (ctx) => adminWrite(deps, ctx, { method: 'POST', path: '/keys/rotate' }, { expect: 201, back: '/console/keys', done: ['/console/keys', 'rotated'] }),
    }),
    // Revoking a key logs out everyone whose tokens it signed: the operator types its kid to confirm.
    route({
      method: 'post',
      path: '/keys/:kid/revoke',
      params: z.object({ kid: z.string().min(1).max(200) }),
      body: confirmForm,
      handle: (ctx, { params: { kid }, body }) =>
        adminWrite(
          deps,
          ctx,
          { method: 'POST', path: `/keys/${enc(kid)}/revoke` },
          { expect: 200, back: '/console/keys', done: ['/console/keys', 'revoked'], confirm: [body.confirm, kid] },
        ),
    }),
    // Newest first.
    route({
      method: 'get',
      path: '/audit',
      query: auditQuery,
      async handle(ctx, { query: filter }) {
        const response = await adminCall(deps, ctx, {
          method: 'GET',
          path: '/audit-events',
          query: { type: filter.type, user: filter.user, subject: filter.client, since: utc(filter.since), until: utc(filter.until), cursor: filter.cursor, limit: '50' },
        });
        const page = response.status === 200 ? (response.body as Page<AuditEvent>) : { items: [], nextCursor: null };
        renderPage(deps, ctx, 'audit', { filter, events: page.items, nextCursor: page.nextCursor, error: response.status === 200 ? undefined : problemText(response) });
      },
    }),
    // Walks the hash chain (the check is itself audited).
    route({
      method: 'post',
      path: '/audit/verify',
      async handle(ctx) {
        const response = await adminCall(deps, ctx, { method: 'POST', path: '/audit-events/verification' });
        if (response.status !== 200) return renderPage(deps, ctx, 'problem', { message: problemText(response), back: '/console/audit' }, response.status);
        renderPage(deps, ctx, 'audit', { filter: {}, events: [], nextCursor: null, verification: response.body });
      },
    }),
    route({
      method: 'get',
      path: '/roles',
      async handle(ctx) {
        const [roles, groups] = await Promise.all([
          adminGet<Page<Role>>(deps, ctx, '/roles', { limit: '200' }),
          adminGet<Page<Group>>(deps, ctx, '/groups', { limit: '200' }),
        ]);
        renderPage(deps, ctx, 'roles', { roles: roles.items, groups: groups.items });
      },
    }),
    ...namedRoutes(deps, 'roles'),
    ...namedRoutes(deps, 'groups'),
    // Initial access tokens for dynamic registration: policy, quota, use.
    route({
      method: 'get',
      path: '/registration',
      handle: async (ctx) => renderPage(deps, ctx, 'registration', { tokens: (await initialAccessTokens(deps, ctx)).items }),
    }),
    // Mint one; the token is shown once, on this answer.
    route({
      method: 'post',
      path: '/registration',
      body: mintForm,
      async handle(ctx, { body }) {
        const days = Number(body.days || '7');
        const quota = Number(body.quota || '1');
        const hosts = body.hosts.split(/[\s,]+/).filter(Boolean);
        const response = await adminCall(deps, ctx, {
          method: 'POST',
          path: '/initial-access-tokens',
          body: {
            expiresIn: Number.isFinite(days) ? Math.round(days * 86_400) : 0,
            quota: Number.isFinite(quota) ? Math.round(quota) : 0,
            ...(hosts.length ? { policy: { redirectUriHosts: hosts } } : {}),
            ...(body.description ? { description: body.description } : {}),
          },
        });
        const tokens = (await initialAccessTokens(deps, ctx)).items;
        if (response.status !== 201) return renderPage(deps, ctx, 'registration', { tokens, error: problemText(response) }, response.status);
        renderPage(deps, ctx, 'registration', { tokens, minted: response.body });
      },
    }),
    route({
      method: 'post',
      path: '/registration/:id/revoke',
      params: z.object({ id: z.string().min(1).max(200) }),
      handle: (ctx, { params }) =>
        adminWrite(
          deps,
          ctx,
          { method: 'DELETE', path: `/initial-access-tokens/${enc(params.id)}` },
          { expect: 204, back: '/console/registration', done: ['/console/registration', 'iat_revoked'] },
        ),
    }),
  ];
}
