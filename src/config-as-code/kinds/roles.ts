/** Roles, global or of one API: the admin API's create body, keyed by name. */
import { newRoleBody } from '../../admin/resources/roles.ts';
import { segment } from '../admin-client.ts';
import { type Kind, withoutDefaults } from '../kind.ts';

const entry = newRoleBody
  .extend({ description: newRoleBody.shape.description.default(''), api: newRoleBody.shape.api.transform((api) => api ?? null) })
  .strict();
type RoleEntry = ReturnType<typeof entry.parse>;

export const roleKind: Kind<RoleEntry> = {
  key: 'roles',
  label: 'role',
  entry,
  description: 'Roles, by name: global (no `api`) or belonging to one API.',
  idOf: (role) => role.name,
  async current({ admin }) {
    return (await admin.list<RoleEntry>('/roles')).map((role) => ({ id: role.name, entry: entry.parse(role) }));
  },
  impossible: (desired, current, fields) =>
    fields.includes('api')
      ? `role ${desired.name} belongs to ${current.entry.api ?? 'no API (global)'}; a role cannot move to another API (rename it, or delete it with --prune first)`
      : undefined,
  async create(desired, { admin }) {
    await admin.call('POST', '/roles', desired);
    return [];
  },
  async update(desired, current, _fields, { admin }) {
    await admin.call('PATCH', `/roles/${segment(current.id)}`, { description: desired.description });
    return [];
  },
  async remove(id, { admin }) {
    await admin.call('DELETE', `/roles/${segment(id)}`);
  },
  exported: (role) => withoutDefaults({ ...role, description: role.description || undefined }, ['name']),
};
