import type { OperationSpec } from '../operation-spec.ts';
import { record, table } from '../output.ts';

interface User {
  id: string;
  email: string;
  emailVerified: boolean;
  disabled: boolean;
  roles: string[];
}

const USER = { name: 'USER', field: 'userId', user: true, description: 'The user’s email (or id).' } as const;

export const userCommands: Record<string, OperationSpec> = {
  listUsers: {
    command: 'users list',
    paginate: true,
    examples: ['gatehouse users list', 'gatehouse users list --email you@example.com --json'],
    show: (users) =>
      table(users as User[], { id: (u) => u.id, email: (u) => u.email, verified: (u) => u.emailVerified, disabled: (u) => u.disabled, roles: (u) => u.roles }),
  },
  createUser: {
    command: 'users create',
    flags: { emailVerified: { flag: 'verified' }, roles: { flag: 'role' } },
    secret: {
      field: 'password',
      flag: 'password-stdin',
      prompt: 'Password: ',
      description: 'Read the password from stdin (without it: a prompt on a terminal). Never an argument: argv shows in shell history and `ps`.',
    },
    examples: [
      "printf '%s' 'a long passphrase here' | gatehouse users create --email you@example.com --password-stdin --verified",
      'gatehouse users create --email ops@example.com --role admin        # prompts for the password',
    ],
    show: (user) => `created user ${(user as User).email} (id ${(user as User).id})`,
  },
  getUser: {
    command: 'users show',
    args: [USER],
    examples: ['gatehouse users show you@example.com'],
    show: record,
  },
  updateUser: {
    command: 'users update',
    args: [USER],
    extraFlags: { enable: { type: 'boolean', description: 'Enable a disabled user again (they can sign in; nothing that was revoked returns).' } },
    input: async (extra) => (extra.enable ? { disabled: false } : {}),
    examples: ['gatehouse users update you@example.com --disabled', 'gatehouse users update you@example.com --enable', "gatehouse users update you@example.com --name 'Ada Lovelace'"],
    show: (user) => `${(user as User).email}: ${(user as User).disabled ? 'disabled (sessions ended, grants revoked)' : 'enabled'}`,
  },
  deleteUser: {
    command: 'users delete',
    args: [USER],
    examples: ['gatehouse users delete you@example.com'],
    show: (_, { args }) => `deleted user ${args.USER}: every session ended and every grant revoked first`,
  },
  sendPasswordLink: {
    command: 'users send-password-link',
    args: [USER],
    examples: ['gatehouse users send-password-link you@example.com'],
    show: (_, { args }) => `mailed ${args.USER} a link to set their password`,
  },
  listUserSessions: {
    command: 'users sessions',
    args: [USER],
    examples: ['gatehouse users sessions you@example.com'],
    show: (sessions) =>
      table(sessions as Array<{ uid: string; signedInAt: string | null; lastActivity: { at: string; ip: string; userAgent: string } | null }>, {
        uid: (s) => s.uid,
        signed_in: (s) => s.signedInAt,
        last_activity: (s) => s.lastActivity?.at,
        ip: (s) => s.lastActivity?.ip,
        browser: (s) => s.lastActivity?.userAgent,
      }),
  },
  logoutUserEverywhere: {
    command: 'users logout',
    args: [USER],
    examples: ['gatehouse users logout you@example.com'],
    show: (result, { args }) => {
      const { sessionsEnded, grantsRevoked } = result as { sessionsEnded: number; grantsRevoked: number };
      return `${args.USER}: ended ${sessionsEnded} sessions and revoked ${grantsRevoked} grants (with every refresh token) on every instance`;
    },
  },
  listUserGrants: {
    command: 'users grants',
    args: [USER],
    examples: ['gatehouse users grants you@example.com'],
    show: (grants) =>
      table(grants as Array<{ grantId: string; clientId: string; name: string; since: string }>, {
        grant_id: (g) => g.grantId,
        client_id: (g) => g.clientId,
        app: (g) => g.name,
        since: (g) => g.since,
      }),
  },
  revokeUserGrant: {
    command: 'users revoke-grant',
    args: [USER, { name: 'GRANT_ID', field: 'grantId', description: 'A grant id from `users grants`.' }],
    examples: ['gatehouse users revoke-grant you@example.com GRANT_ID'],
    show: (_, { args }) => `revoked grant ${args.GRANT_ID}: its refresh and access tokens no longer work`,
  },
  resetUserMfa: {
    command: 'users mfa reset',
    args: [USER],
    examples: ['gatehouse users mfa reset you@example.com'],
    show: (result, { args }) =>
      (result as { removed: boolean }).removed
        ? `${args.USER}: MFA reset; they will set it up again at their next sign-in if policy requires it`
        : `${args.USER} had no MFA`,
  },
  listUserPasskeys: {
    command: 'users passkeys',
    args: [USER],
    examples: ['gatehouse users passkeys you@example.com'],
    show: (passkeys) =>
      table(passkeys as Array<{ id: string; name: string; createdAt: string; lastUsedAt: string | null; backedUp: boolean; deviceBound: boolean }>, {
        id: (p) => p.id,
        name: (p) => p.name,
        created: (p) => p.createdAt,
        last_used: (p) => p.lastUsedAt ?? 'never',
        synced: (p) => p.backedUp,
        device_bound: (p) => p.deviceBound,
      }),
  },
  removeUserPasskey: {
    command: 'users remove-passkey',
    args: [USER, { name: 'PASSKEY_ID', field: 'passkeyId', description: 'A passkey id from `users passkeys`.' }],
    examples: ['gatehouse users remove-passkey you@example.com PASSKEY_ID'],
    show: (result, { args }) =>
      (result as { last: boolean }).last
        ? `${args.USER}: removed passkey ${args.PASSKEY_ID}, their last second factor (they were mailed; they enrol again if policy requires it)`
        : `${args.USER}: removed passkey ${args.PASSKEY_ID}`,
  },
  setUserOrg: {
    command: 'users set-org',
    args: [USER, { name: 'ORG_ID', field: 'orgId', optional: true, absent: null, description: 'The organisation (the org_id claim); leave out to clear it.' }],
    examples: ['gatehouse users set-org you@example.com org_42', 'gatehouse users set-org you@example.com      # clears it'],
    show: (_, { args }) => (args.ORG_ID ? `${args.USER} now belongs to ${args.ORG_ID}` : `${args.USER} belongs to no organisation`),
  },
};
