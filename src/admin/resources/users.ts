import { z } from 'zod';
import type { Account } from '../../accounts/index.ts';
import { NotFound } from '../../errors.ts';
import type { Services } from '../../services.ts';
import { adminRoute, created, noContent, ok, pageOf, pageQuery, paginate } from '../route.ts';

export const user = z
  .object({
    id: z.string(),
    email: z.string(),
    emailVerified: z.boolean(),
    name: z.string().nullable(),
    disabled: z.boolean().describe('Disabled: no sign-in by any method and no token refresh.'),
    roles: z.array(z.string()),
    orgId: z.string().nullable().describe('The organisation (the org_id access-token claim); null: none.'),
  })
  .meta({ id: 'User' });
const userParams = z.object({ userId: z.string().min(1).max(100) });
export const session = z
  .object({
    uid: z.string(),
    signedInAt: z.iso.datetime().nullable(),
    lastActivity: z.object({ at: z.iso.datetime(), ip: z.string(), userAgent: z.string() }).nullable(),
  })
  .meta({ id: 'Session' });
export const passkey = z
  .object({
    id: z.string().describe('The passkey’s id in Gatehouse (not the WebAuthn credential id).'),
    name: z.string().describe('The name its owner gave it.'),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().nullable().describe('The last sign-in with it; null: never used.'),
    backedUp: z.boolean().describe('Synced: copied between the devices of a cloud keychain (backup state).'),
    deviceBound: z.boolean().describe('Cannot leave its authenticator (not backup-eligible).'),
  })
  .meta({ id: 'Passkey' });
export const grant = z.object({ grantId: z.string(), clientId: z.string(), name: z.string(), since: z.iso.datetime() }).meta({ id: 'Grant' });

/** Services are read when a handler runs, so the records can be listed (CLI help) without them. */
export function userRoutes(services: Services) {
  /** Effective roles: direct, through groups and per API. */
  const toUser = async (account: Account) => ({
    id: account.id,
    email: account.email,
    emailVerified: account.emailVerified,
    name: account.name,
    disabled: account.disabled,
    roles: await services.rbac.allRoleNames({ kind: 'user', id: account.id }),
    orgId: (await services.rbac.subjectFacts({ kind: 'user', id: account.id })).orgId,
  });
  const mustExist = async (userId: string) => {
    const account = await services.accounts.findById(userId);
    if (!account) throw new NotFound(`user ${userId}`);
    return account;
  };
  return [
    adminRoute({
      method: 'get',
      path: '/users',
      operationId: 'listUsers',
      summary: 'List users, optionally filtered by exact email, a search text, a role or an organisation',
      tag: 'Users',
      query: pageQuery.extend({
        email: z.string().max(254).optional().describe('Only the user with exactly this email.'),
        q: z.string().max(200).optional().describe('Only users whose email or name contains this text (case-insensitive).'),
        role: z.string().max(128).optional().describe('Only users holding this role (directly, through a group or per API).'),
        org: z.string().max(128).optional().describe('Only users of this organisation (their org_id, exactly).'),
      }),
      responses: { 200: { description: 'A page of users', schema: pageOf(user) } },
      async handle({ query }) {
        const { accounts } = services;
        let all = query.email ? [await accounts.findByEmail(query.email)].filter((a) => a !== undefined) : await accounts.list();
        const text = query.q?.trim().toLowerCase();
        if (text) all = all.filter((account) => account.email.includes(text) || (account.name ?? '').toLowerCase().includes(text));
        if (query.role) {
          const role = query.role;
          const holds = await Promise.all(all.map(async (account) => (await services.rbac.allRoleNames({ kind: 'user', id: account.id })).includes(role)));
          all = all.filter((_, i) => holds[i]);
        }
        if (query.org) {
          const org = query.org;
          const inOrg = await Promise.all(all.map(async (account) => (await services.rbac.subjectFacts({ kind: 'user', id: account.id })).orgId === org));
          all = all.filter((_, i) => inOrg[i]);
        }
        const page = paginate(all, query);
        return ok({ items: await Promise.all(page.items.map(toUser)), nextCursor: page.nextCursor });
      },
    }),
    adminRoute({
      method: 'post',
      path: '/users',
      operationId: 'createUser',
      summary: 'Create a user (the password policy applies), optionally holding roles',
      tag: 'Users',
      body: z.object({
        email: z.string().max(254).describe('Their sign-in name; stored lower-case.'),
        password: z.string().min(1).max(1024),
        name: z.string().max(200).optional().describe('Display name (the `name` claim).'),
        emailVerified: z.boolean().default(false).describe('Mark the email as verified (no verification mail).'),
        roles: z.array(z.string().max(128)).max(50).default([]).describe('Roles to grant at once; each must exist.'),
      }),
      responses: { 201: { description: 'The new user', schema: user } },
      handle: async ({ body, principal }) => created(await toUser(await services.accountAdministration.create(body, { actor: principal.subject }))),
    }),
    adminRoute({
      method: 'get',
      path: '/users/{userId}',
      operationId: 'getUser',
      summary: 'One user',
      tag: 'Users',
      params: userParams,
      responses: { 200: { description: 'The user', schema: user } },
      handle: async ({ params }) => ok(await toUser(await mustExist(params.userId))),
    }),
    adminRoute({
      method: 'patch',
      path: '/users/{userId}',
      operationId: 'updateUser',
      summary: 'Change a user: display name, or disable (every session ends, every grant is revoked) and enable',
      tag: 'Users',
      params: userParams,
      body: z
        .object({
          name: z.string().max(200).nullable().optional().describe('Display name (the `name` claim); null removes it.'),
          disabled: z.boolean().optional().describe('true: no sign-in by any method, sessions end, grants and refresh tokens are revoked.'),
        })
        .strict(),
      responses: { 200: { description: 'The user', schema: user } },
      async handle({ params, body, principal }) {
        const context = { actor: principal.subject };
        let account = await mustExist(params.userId);
        if (body.name !== undefined) account = await services.accountAdministration.rename(params.userId, body.name, context);
        if (body.disabled !== undefined) account = await services.accountAdministration.setDisabled(params.userId, body.disabled, context);
        return ok(await toUser(account));
      },
    }),
    adminRoute({
      method: 'delete',
      path: '/users/{userId}',
      operationId: 'deleteUser',
      summary: 'Delete a user: every session ends and every grant is revoked first',
      tag: 'Users',
      params: userParams,
      responses: { 204: { description: 'Deleted' } },
      async handle({ params, principal }) {
        await services.accountAdministration.delete(params.userId, { actor: principal.subject });
        return noContent();
      },
    }),
    adminRoute({
      method: 'post',
      path: '/users/{userId}/password-link',
      operationId: 'sendPasswordLink',
      summary: 'Mail a user a link to set their password (an invitation, or a reset done for them)',
      tag: 'Users',
      params: userParams,
      responses: { 202: { description: 'The mail is on its way', schema: z.object({ sent: z.literal(true) }) } },
      async handle({ params }) {
        const account = await mustExist(params.userId);
        await services.flows.requestPasswordReset(account.email);
        return { status: 202, body: { sent: true } };
      },
    }),
    adminRoute({
      method: 'get',
      path: '/users/{userId}/sessions',
      operationId: 'listUserSessions',
      summary: 'Browser sessions of a user, across every instance',
      tag: 'Sessions',
      params: userParams,
      responses: { 200: { description: 'Sessions', schema: z.object({ items: z.array(session) }) } },
      async handle({ params }) {
        await mustExist(params.userId);
        const items = (await services.sessions.listSessions(params.userId)).map((s) => ({
          uid: s.uid,
          signedInAt: s.signedInAt?.toISOString() ?? null,
          lastActivity: s.lastActivity ? { ...s.lastActivity, at: s.lastActivity.at.toISOString() } : null,
        }));
        return ok({ items });
      },
    }),
    adminRoute({
      method: 'delete',
      path: '/users/{userId}/sessions',
      operationId: 'logoutUserEverywhere',
      summary: 'End every session of a user and revoke every grant (a compromised account)',
      tag: 'Sessions',
      params: userParams,
      responses: {
        200: { description: 'What was ended', schema: z.object({ sessionsEnded: z.number().int(), grantsRevoked: z.number().int() }) },
      },
      handle: async ({ params, principal }) => ok(await services.accountAdministration.logoutEverywhere(params.userId, { actor: principal.subject })),
    }),
    adminRoute({
      method: 'get',
      path: '/users/{userId}/grants',
      operationId: 'listUserGrants',
      summary: 'Apps a user has granted access to',
      tag: 'Sessions',
      params: userParams,
      responses: { 200: { description: 'Grants', schema: z.object({ items: z.array(grant) }) } },
      async handle({ params }) {
        await mustExist(params.userId);
        const items = (await services.sessions.listApps(params.userId)).map((app) => ({ ...app, since: app.since.toISOString() }));
        return ok({ items });
      },
    }),
    adminRoute({
      method: 'delete',
      path: '/users/{userId}/grants/{grantId}',
      operationId: 'revokeUserGrant',
      summary: 'Revoke one grant: its refresh and access tokens stop working',
      tag: 'Sessions',
      params: userParams.extend({ grantId: z.string().min(1).max(200) }),
      responses: { 204: { description: 'Revoked' } },
      async handle({ params }) {
        if (!(await services.sessions.revokeApp(params.userId, params.grantId))) throw new NotFound(`grant ${params.grantId}`);
        return noContent();
      },
    }),
    adminRoute({
      method: 'delete',
      path: '/users/{userId}/mfa',
      operationId: 'resetUserMfa',
      summary: 'Remove a user’s second factor and recovery codes (they enrol again)',
      tag: 'Users',
      params: userParams,
      responses: {
        200: { description: 'Whether there was a second factor to remove', schema: z.object({ removed: z.boolean() }) },
      },
      handle: async ({ params, principal }) => ok(await services.accountAdministration.resetSecondFactor(params.userId, { actor: principal.subject })),
    }),
    adminRoute({
      method: 'get',
      path: '/users/{userId}/passkeys',
      operationId: 'listUserPasskeys',
      summary: 'A user’s passkeys: names, dates, backup state (never credential ids or public keys)',
      tag: 'Users',
      params: userParams,
      responses: { 200: { description: 'Passkeys, oldest first', schema: z.object({ items: z.array(passkey) }) } },
      async handle({ params }) {
        const items = (await services.accountAdministration.listPasskeys(params.userId)).map((p) => ({
          ...p,
          createdAt: p.createdAt.toISOString(),
          lastUsedAt: p.lastUsedAt?.toISOString() ?? null,
        }));
        return ok({ items });
      },
    }),
    adminRoute({
      method: 'delete',
      path: '/users/{userId}/passkeys/{passkeyId}',
      operationId: 'removeUserPasskey',
      summary: 'Remove one of a user’s passkeys (a lost or stolen authenticator); if it was their last factor, they are mailed',
      tag: 'Users',
      params: userParams.extend({ passkeyId: z.string().min(1).max(100) }),
      responses: {
        200: {
          description: 'Removed',
          schema: z.object({ last: z.boolean().describe('It was the user’s last second factor (no other passkey, no TOTP).') }),
        },
      },
      handle: async ({ params, principal }) =>
        ok(await services.accountAdministration.removePasskey(params.userId, params.passkeyId, { actor: principal.subject })),
    }),
  ];
}
