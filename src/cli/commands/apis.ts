import { type CommandContext, list, parse, required, table, UsageError } from '../context.ts';

export async function apisCommand(ctx: CommandContext, args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const { apis } = ctx.services;
  if (sub === 'create') {
    const { values } = parse(rest, {
      identifier: { type: 'string' },
      name: { type: 'string' },
      scopes: { type: 'string' },
      'access-token-ttl': { type: 'string' },
      json: { type: 'boolean' },
    });
    const api = await apis.create({
      identifier: required(values.identifier, '--identifier'),
      name: values.name ?? required(values.identifier, '--identifier'),
      scopes: list(values.scopes).map((name) => ({ name, description: name })),
      accessTokenTtl: values['access-token-ttl'] ? Number(values['access-token-ttl']) : null,
    });
    ctx.out(values.json ? JSON.stringify(api) : `created API ${api.identifier}`);
    return;
  }
  if (sub === 'list') {
    const { values } = parse(rest, { json: { type: 'boolean' } });
    const all = await apis.list();
    ctx.out(
      values.json
        ? JSON.stringify(all)
        : table(all.map((a) => ({ identifier: a.identifier, name: a.name, scopes: a.scopes.map((s) => s.name).join(' ') }))),
    );
    return;
  }
  throw new UsageError('apis create|list');
}
