import { type CommandContext, parse, required, table, UsageError } from '../context.ts';
import { userId } from './roles.ts';

const CLI = { actor: 'cli' };

export async function groupsCommand(ctx: CommandContext, args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const { rbac } = ctx.services;
  if (sub === 'create') {
    const { values, positionals } = parse(rest, { description: { type: 'string' }, json: { type: 'boolean' } });
    const group = await rbac.createGroup({ name: required(positionals[0], 'NAME'), description: values.description ?? '' }, CLI);
    ctx.out(values.json ? JSON.stringify(group) : `created group ${group.name}`);
    return;
  }
  if (sub === 'list') {
    const { values } = parse(rest, { json: { type: 'boolean' } });
    const groups = [];
    for (let after: string | undefined, first = true; first || after !== undefined; first = false) {
      const page = await rbac.listGroups({ after, limit: 500 });
      groups.push(...(await Promise.all(page.items.map(async (g) => ({ ...g, roles: (await rbac.directRoles({ kind: 'group', id: g.name })).map((r) => r.name) })))));
      after = page.next;
    }
    ctx.out(values.json ? JSON.stringify(groups) : table(groups.map((g) => ({ name: g.name, roles: g.roles.join(','), description: g.description }))));
    return;
  }
  if (sub === 'delete') {
    const { positionals } = parse(rest, {});
    const name = required(positionals[0], 'NAME');
    await rbac.deleteGroup(name, CLI);
    ctx.out(`deleted group ${name}`);
    return;
  }
  if (sub === 'add-member' || sub === 'remove-member') {
    const { positionals } = parse(rest, {});
    const group = required(positionals[0], 'GROUP');
    const email = required(positionals[1], 'EMAIL');
    const id = await userId(ctx, email);
    if (sub === 'add-member') await rbac.addMember(group, id, CLI);
    else await rbac.removeMember(group, id, CLI);
    ctx.out(`${sub === 'add-member' ? 'added' : 'removed'} ${email} ${sub === 'add-member' ? 'to' : 'from'} group ${group}`);
    return;
  }
  throw new UsageError('groups create NAME [--description D]|list|delete NAME|add-member GROUP EMAIL|remove-member GROUP EMAIL');
}
