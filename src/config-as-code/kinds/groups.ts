/** Groups and the roles granted to them (their members hold those roles), keyed by name. */
import { z } from 'zod';
import { newGroupBody } from '../../admin/resources/roles.ts';
import { segment } from '../admin-client.ts';
import { type Kind, withoutDefaults } from '../kind.ts';

const entry = newGroupBody
  .extend({
    description: newGroupBody.shape.description.default(''),
    roles: z.array(z.string()).default([]).describe('Roles granted to the group: its members hold them.'),
  })
  .strict();
type GroupEntry = ReturnType<typeof entry.parse>;

export const groupKind: Kind<GroupEntry> = {
  key: 'groups',
  label: 'group',
  entry,
  description: 'Groups, by name, with the roles granted to them. Members are people, managed with `gatehouse groups add-member`, not here.',
  idOf: (group) => group.name,
  setFields: ['roles'],
  async current({ admin }) {
    return (await admin.list<GroupEntry>('/groups')).map((group) => ({ id: group.name, entry: entry.parse(group) }));
  },
  async create(desired, { admin }) {
    await admin.call('POST', '/groups', { name: desired.name, description: desired.description });
    for (const role of desired.roles) await admin.call('POST', `/roles/${segment(role)}/grants`, { kind: 'group', id: desired.name });
    return [];
  },
  async update(desired, current, fields, { admin }) {
    if (fields.includes('description')) await admin.call('PATCH', `/groups/${segment(current.id)}`, { description: desired.description });
    for (const role of desired.roles.filter((role) => !current.entry.roles.includes(role))) {
      await admin.call('POST', `/roles/${segment(role)}/grants`, { kind: 'group', id: current.id });
    }
    for (const role of current.entry.roles.filter((role) => !desired.roles.includes(role))) {
      await admin.call('DELETE', `/roles/${segment(role)}/grants/group/${segment(current.id)}`);
    }
    return [];
  },
  async remove(id, { admin }) {
    await admin.call('DELETE', `/groups/${segment(id)}`);
  },
  exported: (group) => withoutDefaults({ ...group, description: group.description || undefined }, ['name']),
};
