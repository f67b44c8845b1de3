import type { Lookups, OperationSpec } from '../operation-spec.ts';
import { record, table } from '../output.ts';
import { UsageError } from '../usage-error.ts';

interface Role {
  name: string;
  api: string | null;
  description: string;
}

const ROLE = { name: 'ROLE', field: 'name', description: 'The role’s name.' } as const;
const GROUP = { name: 'GROUP', field: 'group', description: 'The group’s name.' } as const;
const GRANTEE_FLAGS = {
  user: { type: 'string', valueName: '<email>', description: 'A user (email or id).' },
  client: { type: 'string', valueName: '<client-id>', description: 'A client (its own roles, in its client-credentials tokens).' },
  group: { type: 'string', valueName: '<name>', description: 'A group (its members hold the role).' },
} as const;
const GRANTEE_NOTE = 'Give exactly one of --user, --client or --group.';

/** `--user EMAIL | --client ID | --group NAME`: exactly one, as the API's grantee. */
async function grantee(extra: Record<string, string | boolean | undefined>, lookups: Lookups): Promise<{ kind: string; id: string }> {
  const given = (['user', 'client', 'group'] as const).filter((kind) => typeof extra[kind] === 'string');
  const [kind] = given;
  if (given.length !== 1 || !kind) throw new UsageError('give exactly one of --user EMAIL, --client CLIENT_ID, --group NAME');
  const value = String(extra[kind]);
  return { kind, id: kind === 'user' ? await lookups.userId(value) : value };
}

/** `employee to user you@example.com`. */
function granteeText(args: Record<string, string>, extra: Record<string, string | boolean | undefined>): string {
  const kind = (['user', 'client', 'group'] as const).find((k) => typeof extra[k] === 'string') ?? 'user';
  return `${args.ROLE} ${kind} ${String(extra[kind])}`;
}

export const roleCommands: Record<string, OperationSpec> = {
  listRoles: {
    command: 'roles list',
    paginate: true,
    examples: ['gatehouse roles list', 'gatehouse roles list --api https://orders.example.com'],
    show: (roles) => table(roles as Role[], { name: (r) => r.name, api: (r) => r.api ?? '(global)', description: (r) => r.description }),
  },
  createRole: {
    command: 'roles create',
    args: [{ name: 'NAME', field: 'name', description: 'The role’s name (letters, digits and . _ : -).' }],
    examples: ['gatehouse roles create employee', 'gatehouse roles create orders:admin --api https://orders.example.com --description "Manage orders"'],
    show: (role) => `created role ${(role as Role).name}${(role as Role).api ? ` for ${(role as Role).api}` : ' (global)'}`,
  },
  getRole: { command: 'roles show', args: [ROLE], examples: ['gatehouse roles show employee'], show: record },
  updateRole: {
    command: 'roles update',
    args: [ROLE],
    examples: ['gatehouse roles update employee --description "Everyone on the payroll"'],
    show: (role) => `updated role ${(role as Role).name}`,
  },
  deleteRole: {
    command: 'roles delete',
    args: [ROLE],
    examples: ['gatehouse roles delete employee'],
    show: (_, { args }) => `deleted role ${args.ROLE} and every grant of it`,
  },
  grantRole: {
    command: 'roles grant',
    args: [ROLE],
    hide: ['kind', 'id'],
    extraFlags: GRANTEE_FLAGS,
    input: grantee,
    note: GRANTEE_NOTE,
    examples: ['gatehouse roles grant employee --user you@example.com', 'gatehouse roles grant orders:admin --group staff', 'gatehouse roles grant orders:admin --client CLIENT_ID'],
    show: (_, { args, extra }) => `granted role ${granteeText(args, extra).replace(' ', ' to ')}`,
  },
  revokeRole: {
    command: 'roles revoke',
    args: [ROLE],
    hide: ['kind', 'id'],
    extraFlags: GRANTEE_FLAGS,
    input: grantee,
    note: GRANTEE_NOTE,
    examples: ['gatehouse roles revoke employee --user you@example.com'],
    show: (_, { args, extra }) => `revoked role ${granteeText(args, extra).replace(' ', ' from ')}`,
  },
  listGroups: {
    command: 'groups list',
    paginate: true,
    examples: ['gatehouse groups list', 'gatehouse groups list --json'],
    show: (groups) =>
      table(groups as Array<{ name: string; roles: string[]; description: string }>, { name: (g) => g.name, roles: (g) => g.roles, description: (g) => g.description }),
  },
  createGroup: {
    command: 'groups create',
    args: [{ name: 'NAME', field: 'name', description: 'The group’s name.' }],
    examples: ['gatehouse groups create staff --description "Everyone on the payroll"'],
    show: (group) => `created group ${(group as { name: string }).name}`,
  },
  updateGroup: {
    command: 'groups update',
    args: [GROUP],
    examples: ['gatehouse groups update staff --description "People on the payroll"'],
    show: (group) => `updated group ${(group as { name: string }).name}`,
  },
  deleteGroup: {
    command: 'groups delete',
    args: [GROUP],
    examples: ['gatehouse groups delete staff'],
    show: (_, { args }) => `deleted group ${args.GROUP}; its members lost the roles it held`,
  },
  listGroupMembers: {
    command: 'groups members',
    args: [GROUP],
    paginate: true,
    examples: ['gatehouse groups members staff'],
    show: (ids) => ((ids as string[]).length ? (ids as string[]).join('\n') : '(none)'),
  },
  addGroupMember: {
    command: 'groups add-member',
    args: [GROUP, { name: 'USER', field: 'userId', user: true, description: 'The user’s email (or id).' }],
    examples: ['gatehouse groups add-member staff you@example.com'],
    show: (_, { args }) => `added ${args.USER} to group ${args.GROUP}`,
  },
  removeGroupMember: {
    command: 'groups remove-member',
    args: [GROUP, { name: 'USER', field: 'userId', user: true, description: 'The user’s email (or id).' }],
    examples: ['gatehouse groups remove-member staff you@example.com'],
    show: (_, { args }) => `removed ${args.USER} from group ${args.GROUP}`,
  },
};
