import type { Grantee } from '../../rbac/index.ts';
import { type CommandContext, parse, required, table, UsageError } from '../context.ts';

const CLI = { actor: 'cli' };

/** `--user EMAIL | --client ID | --group NAME`: exactly one, resolved to a grantee. */
async function grantee(ctx: CommandContext, values: { user?: string | undefined; client?: string | undefined; group?: string | undefined }): Promise<Grantee> {
  const given = [values.user, values.client, values.group].filter((value) => value !== undefined);
  if (given.length !== 1) throw new UsageError('give exactly one of --user EMAIL, --client CLIENT_ID, --group NAME');
  if (values.client !== undefined) return { kind: 'client', id: values.client };
  if (values.group !== undefined) return { kind: 'group', id: values.group };
  return { kind: 'user', id: await userId(ctx, values.user ?? '') };
}

export async function userId(ctx: CommandContext, email: string): Promise<string> {
  const account = await ctx.services.accounts.findByEmail(email);
  if (!account) throw new UsageError(`no user ${email}`);
  return account.id;
}

export async function rolesCommand(ctx: CommandContext, args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const { rbac } = ctx.services;
  if (sub === 'create') {
    const { values, positionals } = parse(rest, { api: { type: 'string' }, description: { type: 'string' }, json: { type: 'boolean' } });
    const role = await rbac.createRole({ name: required(positionals[0], 'NAME'), description: values.description ?? '', api: values.api ?? null }, CLI);
    ctx.out(values.json ? JSON.stringify(role) : `created role ${role.name}${role.api ? ` for ${role.api}` : ' (global)'}`);
    return;
  }
  if (sub === 'list') {
    const { values } = parse(rest, { api: { type: 'string' }, json: { type: 'boolean' } });
    const roles = [];
    for (let after: string | undefined, first = true; first || after !== undefined; first = false) {
      const page = await rbac.listRoles({ after, limit: 500, ...(values.api ? { api: values.api } : {}) });
      roles.push(...page.items);
      after = page.next;
    }
    ctx.out(values.json ? JSON.stringify(roles) : table(roles.map((r) => ({ name: r.name, api: r.api ?? '(global)', description: r.description }))));
    return;
  }
  if (sub === 'delete') {
    const { positionals } = parse(rest, {});
    const name = required(positionals[0], 'NAME');
    await rbac.deleteRole(name, CLI);
    ctx.out(`deleted role ${name} and every grant of it`);
    return;
  }
  if (sub === 'grant' || sub === 'revoke') {
    const { values, positionals } = parse(rest, { user: { type: 'string' }, client: { type: 'string' }, group: { type: 'string' } });
    const role = required(positionals[0], 'ROLE');
    const to = await grantee(ctx, values);
    if (sub === 'grant') await rbac.grant(role, to, CLI);
    else await rbac.revoke(role, to, CLI);
    ctx.out(`${sub === 'grant' ? 'granted' : 'revoked'} role ${role} ${sub === 'grant' ? 'to' : 'from'} ${to.kind} ${values.user ?? to.id}`);
    return;
  }
  throw new UsageError('roles create NAME [--api ID] [--description D]|list|delete NAME|grant ROLE --user E|--client ID|--group G|revoke ...');
}
