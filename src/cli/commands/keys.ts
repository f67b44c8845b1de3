import { type CommandContext, parse, table, UsageError } from '../context.ts';

export async function keysCommand(ctx: CommandContext, args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === 'list') {
    const { values } = parse(rest, { json: { type: 'boolean' } });
    const keys = (await ctx.services.keys.list()).map((key) => ({
      kid: key.kid,
      alg: key.alg,
      publish_at: key.publish_at.toISOString(),
      activate_at: key.activate_at.toISOString(),
      retire_at: key.retire_at?.toISOString() ?? '',
      revoked_at: key.revoked_at?.toISOString() ?? '',
    }));
    ctx.out(values.json ? JSON.stringify(keys) : table(keys));
    return;
  }
  throw new UsageError('keys list');
}
