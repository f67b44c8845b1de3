import { normalizeEmail } from '../../accounts/index.ts';
import { type CommandContext, parse, required, table, UsageError } from '../context.ts';

export async function usersCommand(ctx: CommandContext, args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const { accounts } = ctx.services;
  if (sub === 'create') {
    const { values } = parse(rest, {
      email: { type: 'string' },
      name: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      verified: { type: 'boolean' },
      role: { type: 'string', multiple: true },
      json: { type: 'boolean' },
    });
    const roles = values.role ?? [];
    // Checked before the account exists, so a typo does not leave a user without their roles.
    for (const role of roles) {
      if (!(await ctx.services.rbac.findRole(role))) throw new UsageError(`no role ${role} (create it first: gatehouse roles create ${role})`);
    }
    const password = await ctx.readSecret('Password: ');
    const created = await accounts.create({
      email: required(values.email, '--email'),
      password,
      name: values.name,
      emailVerified: values.verified ?? false,
    });
    for (const role of roles) await ctx.services.rbac.grant(role, { kind: 'user', id: created.id }, { actor: 'cli' });
    const account = { ...created, roles };
    ctx.out(values.json ? JSON.stringify(account) : `created user ${account.email} (id ${account.id})`);
    return;
  }
  if (sub === 'list') {
    const { values } = parse(rest, { json: { type: 'boolean' } });
    const users = await Promise.all(
      (await accounts.list()).map(async (user) => ({ ...user, roles: await ctx.services.rbac.allRoleNames({ kind: 'user', id: user.id }) })),
    );
    ctx.out(
      values.json
        ? JSON.stringify(users)
        : table(users.map((u) => ({ id: u.id, email: u.email, verified: u.emailVerified, roles: u.roles.join(',') }))),
    );
    return;
  }
  if (sub === 'logout') {
    const { positionals } = parse(rest, {});
    const email = required(positionals[0], 'EMAIL');
    const account = (await accounts.list()).find((a) => a.email === normalizeEmail(email));
    if (!account) throw new UsageError(`no user ${email}`);
    const { sessionsEnded, grantsRevoked } = await ctx.services.sessions.logoutEverywhere(account.id);
    ctx.out(`${account.email}: ended ${sessionsEnded} sessions and revoked ${grantsRevoked} grants (with every refresh token) on every instance`);
    return;
  }
  if (sub === 'mfa') {
    const [action, ...more] = rest;
    const { positionals } = parse(more, {});
    const email = required(positionals[0], 'EMAIL');
    if (action !== 'reset') throw new UsageError('users mfa reset EMAIL');
    const account = (await accounts.list()).find((a) => a.email === normalizeEmail(email));
    if (!account) throw new UsageError(`no user ${email}`);
    const removed = await ctx.services.mfa.remove(account.id);
    ctx.services.audit.record({ type: 'mfa.reset_by_admin', outcome: 'success', subject: account.id, actor: 'cli' });
    ctx.out(removed ? `${account.email}: MFA reset; they will set it up again at their next sign-in if policy requires it` : `${account.email} had no MFA`);
    return;
  }
  throw new UsageError('users create|list|logout EMAIL|mfa reset EMAIL');
}
