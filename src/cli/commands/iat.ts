import { type CommandContext, list, parse, required, table, UsageError } from '../context.ts';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `7d`, `12h`, `30m`, `90s` or plain seconds → seconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(value.trim());
  if (!match) throw new UsageError(`--expires: "${value}" is not a duration (e.g. 7d, 12h, 30m)`);
  return Number(match[1]) * (UNITS[match[2] || 's'] ?? 1);
}

/** Initial access tokens for dynamic client registration (RFC 7591). */
export async function iatCommand(ctx: CommandContext, args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const { registration } = ctx.services;
  if (sub === 'create') {
    const { values } = parse(rest, {
      expires: { type: 'string' },
      quota: { type: 'string' },
      'grant-types': { type: 'string' },
      scopes: { type: 'string' },
      'redirect-hosts': { type: 'string' },
      resources: { type: 'string' },
      'allow-confidential': { type: 'boolean' },
      description: { type: 'string' },
      json: { type: 'boolean' },
    });
    const quota = Number(required(values.quota, '--quota'));
    if (!Number.isInteger(quota)) throw new UsageError('--quota must be a whole number');
    const minted = await registration.mintInitialAccessToken({
      expiresIn: parseDuration(required(values.expires, '--expires')),
      quota,
      policy: {
        ...(values['grant-types'] ? { grantTypes: list(values['grant-types']) as ['authorization_code'] } : {}),
        ...(values.scopes ? { scopes: list(values.scopes) } : {}),
        redirectUriHosts: list(values['redirect-hosts']),
        resources: list(values.resources),
        allowConfidential: values['allow-confidential'] ?? false,
      },
      ...(values.description ? { description: values.description } : {}),
    }, { actor: 'cli' });
    if (values.json) {
      ctx.out(JSON.stringify(minted));
      return;
    }
    ctx.out(`id:          ${minted.id}`);
    ctx.out(`expires_at:  ${minted.expiresAt.toISOString()}`);
    ctx.out(`quota:       ${minted.quota}`);
    ctx.out(`token:       ${minted.token}\n(shown once: hand it to the client developer; only its digest is kept)`);
    return;
  }
  if (sub === 'list') {
    const { values } = parse(rest, { json: { type: 'boolean' } });
    const all = await registration.listInitialAccessTokens();
    ctx.out(
      values.json
        ? JSON.stringify(all)
        : table(
            all.map((t) => ({
              id: t.id,
              state: t.state,
              used: `${t.used}/${t.quota}`,
              expires_at: t.expiresAt.toISOString(),
              grants: t.policy.grantTypes.join(','),
              scopes: t.policy.scopes.join(' '),
              redirect_hosts: t.policy.redirectUriHosts.join(','),
              confidential: t.policy.allowConfidential ? 'yes' : 'no',
            })),
          ),
    );
    return;
  }
  if (sub === 'revoke') {
    const { positionals } = parse(rest, {});
    const id = required(positionals[0], 'ID');
    if (!(await registration.revokeInitialAccessToken(id, { actor: 'cli' }))) throw new UsageError(`no active initial access token ${id}`);
    ctx.out(`revoked initial access token ${id}`);
    return;
  }
  throw new UsageError('iat create|list|revoke');
}
