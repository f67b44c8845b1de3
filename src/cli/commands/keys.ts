import { type CommandContext, parse, required, table, UsageError } from '../context.ts';

export async function keysCommand(ctx: CommandContext, args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const { keys } = ctx.services;
  if (sub === 'list') {
    const { values } = parse(rest, { json: { type: 'boolean' } });
    const rows = (await keys.list()).map((key) => ({
      kid: key.kid,
      alg: key.alg,
      state: key.state,
      publish_at: key.publish_at.toISOString(),
      activate_at: key.activate_at.toISOString(),
      deactivate_at: key.deactivate_at?.toISOString() ?? '',
      retire_at: key.retire_at?.toISOString() ?? '',
      revoked_at: key.revoked_at?.toISOString() ?? '',
    }));
    ctx.out(values.json ? JSON.stringify(rows) : table(rows));
    return;
  }
  if (sub === 'rotate') {
    const { values } = parse(rest, { json: { type: 'boolean' } });
    const created = await keys.rotateNow();
    const rows = (await keys.list()).filter((key) => created.includes(key.kid));
    if (values.json) {
      ctx.out(JSON.stringify(rows.map((key) => ({ kid: key.kid, alg: key.alg, activate_at: key.activate_at }))));
      return;
    }
    if (rows.length === 0) ctx.out('a successor is already scheduled for every algorithm; nothing to do');
    for (const key of rows) {
      ctx.out(`published ${key.alg} key ${key.kid}; it signs from ${key.activate_at.toISOString()} (after the publish lead)`);
    }
    return;
  }
  if (sub === 'revoke') {
    const { positionals, values } = parse(rest, { json: { type: 'boolean' } });
    const kid = required(positionals[0], 'KID');
    const result = await keys.revoke(kid);
    if (!result) throw new UsageError(`no unrevoked key ${kid}`);
    if (values.json) {
      ctx.out(JSON.stringify(result));
      return;
    }
    ctx.out(`revoked ${result.revoked}: removed from the JWKS now (every instance within one poll interval)`);
    if (result.activated) ctx.out(`activated the published successor ${result.activated} at once`);
    if (result.generated) ctx.out(`no successor was published: generated ${result.generated}, signing now`);
    ctx.out(`revoked ${result.grantsRevoked} grants whose refresh tokens were issued while ${kid} signed`);
    return;
  }
  throw new UsageError('keys list|rotate|revoke KID');
}
