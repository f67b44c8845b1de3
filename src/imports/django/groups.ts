/**
 * Django groups → Gatehouse groups and memberships; `is_staff` / `is_superuser` → the roles the
 * operator names. Pure. While the import is re-run, Django is the source of truth for the
 * memberships of imported users in imported groups and for their staff/superuser roles: a user
 * removed from a group, or no longer staff, in Django loses it in Gatehouse too.
 */
import { RBAC_NAME } from '../../rbac/index.ts';
import type { DjangoGroupRow, DjangoMembershipRow, DjangoUserRow } from '../../storage/django-source.ts';
import type { ImportLinkRow } from '../../storage/queries/imports.ts';
import type { Counts, ImportIssue } from './report.ts';

/** A Django group name ("Support team") as a Gatehouse one ("Support-team"). */
export function groupNameFor(group: DjangoGroupRow): string {
  const name = group.name
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9._:-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 128)
    .replace(/-+$/, '');
  return RBAC_NAME.test(name) ? name : `django-group-${group.id}`;
}

export interface GroupPlan {
  counts: Counts;
  create: string[];
  links: Array<{ sourceKey: string; target: string }>;
  add: Array<{ group: string; userId: string }>;
  remove: Array<{ group: string; userId: string }>;
  issues: ImportIssue[];
}

export function planGroups(input: {
  groups: readonly DjangoGroupRow[];
  memberships: readonly DjangoMembershipRow[];
  links: readonly ImportLinkRow[];
  existingGroups: readonly string[];
  existingMembers: ReadonlyArray<{ group_name: string; user_id: string }>;
  /** Django user id → Gatehouse user id of the imported users. */
  userIds: ReadonlyMap<string, string>;
}): GroupPlan {
  const plan: GroupPlan = { counts: { inSource: input.groups.length, create: 0, update: 0, unchanged: 0, skipped: 0 }, create: [], links: [], add: [], remove: [], issues: [] };
  const linked = new Map(input.links.filter((link) => link.kind === 'group').map((link) => [link.source_key, link.target]));
  const existing = new Set(input.existingGroups);
  const claimed = new Set<string>();
  const targetOf = new Map<string, string>();
  for (const group of input.groups) {
    const previous = linked.get(group.id);
    if (previous !== undefined) {
      if (!existing.has(previous)) {
        plan.issues.push({ kind: 'group', key: group.id, label: group.name, code: 'group_name_taken', detail: `imported before as ${previous} and deleted in Gatehouse since; not re-created`, imported: false });
        continue;
      }
      targetOf.set(group.id, previous);
      claimed.add(previous);
      plan.counts.unchanged += 1;
      continue;
    }
    const name = groupNameFor(group);
    // Joining an existing group would hand its roles to every Django member: a conflict instead.
    if (existing.has(name) || claimed.has(name)) {
      plan.issues.push({ kind: 'group', key: group.id, label: group.name, code: 'group_name_taken', detail: `a Gatehouse group ${name} exists already; its members are not touched`, imported: false });
      continue;
    }
    if (name !== group.name) {
      plan.issues.push({ kind: 'group', key: group.id, label: group.name, code: 'group_renamed', detail: `imported as ${name} (Gatehouse group names allow letters, digits and . _ : -)`, imported: true });
    }
    claimed.add(name);
    targetOf.set(group.id, name);
    plan.create.push(name);
    plan.links.push({ sourceKey: group.id, target: name });
    plan.counts.create += 1;
  }
  plan.counts.skipped = plan.issues.filter((entry) => !entry.imported).length;

  const wanted = new Set<string>();
  for (const membership of input.memberships) {
    const group = targetOf.get(membership.groupId);
    const userId = input.userIds.get(membership.userId);
    if (group !== undefined && userId !== undefined) wanted.add(`${group}\n${userId}`);
  }
  const importedUsers = new Set(input.userIds.values());
  const importedGroups = new Set(targetOf.values());
  const have = new Set(input.existingMembers.filter((m) => importedGroups.has(m.group_name) && importedUsers.has(m.user_id)).map((m) => `${m.group_name}\n${m.user_id}`));
  const pair = (key: string) => {
    const [group, userId] = key.split('\n') as [string, string];
    return { group, userId };
  };
  plan.add = [...wanted].filter((key) => !have.has(key)).map(pair);
  plan.remove = [...have].filter((key) => !wanted.has(key)).map(pair);
  return plan;
}

export interface RolePlan {
  create: string[];
  grant: Array<{ role: string; userId: string }>;
  revoke: Array<{ role: string; userId: string }>;
}

export function planRoles(input: {
  staffRole: string | undefined;
  superuserRole: string | undefined;
  existingRoles: readonly string[];
  existingGrants: ReadonlyArray<{ role_name: string; user_id: string }>;
  users: ReadonlyMap<string, { userId: string; row: DjangoUserRow }>;
}): RolePlan {
  const roles = [...new Set([input.staffRole, input.superuserRole].filter((role): role is string => role !== undefined))];
  const plan: RolePlan = { create: roles.filter((role) => !input.existingRoles.includes(role)), grant: [], revoke: [] };
  const holds = new Set(input.existingGrants.map((grant) => `${grant.role_name}\n${grant.user_id}`));
  for (const { userId, row } of input.users.values()) {
    for (const role of roles) {
      const wanted = (row.isStaff && role === input.staffRole) || (row.isSuperuser && role === input.superuserRole);
      const held = holds.has(`${role}\n${userId}`);
      if (wanted && !held) plan.grant.push({ role, userId });
      if (!wanted && held) plan.revoke.push({ role, userId });
    }
  }
  return plan;
}
