import type { ApiChanges } from '../../apis/index.ts';
import { type CommandContext, list, parse, required, table, UsageError } from '../context.ts';

const API_OPTIONS = {
  name: { type: 'string' },
  scopes: { type: 'string' },
  'access-token-ttl': { type: 'string' },
  claims: { type: 'string' },
  'signing-alg': { type: 'string' },
  json: { type: 'boolean' },
} as const;

export async function apisCommand(ctx: CommandContext, args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const { apis } = ctx.services;
  if (sub === 'create') {
    const { values } = parse(rest, { identifier: { type: 'string' }, ...API_OPTIONS });
    const api = await apis.create({
      identifier: required(values.identifier, '--identifier'),
      name: values.name ?? required(values.identifier, '--identifier'),
      scopes: list(values.scopes).map((name) => ({ name, description: name })),
      accessTokenTtl: values['access-token-ttl'] ? Number(values['access-token-ttl']) : null,
      claims: list(values.claims),
      ...(values['signing-alg'] ? { signingAlg: values['signing-alg'] as 'RS256' } : {}),
    });
    ctx.out(values.json ? JSON.stringify(api) : `created API ${api.identifier}`);
    return;
  }
  if (sub === 'update') {
    const { values, positionals } = parse(rest, API_OPTIONS);
    const identifier = required(positionals[0], 'IDENTIFIER');
    const changes: ApiChanges = {
      ...(values.name !== undefined ? { name: values.name } : {}),
      ...(values.scopes !== undefined ? { scopes: list(values.scopes).map((name) => ({ name, description: name })) } : {}),
      ...(values['access-token-ttl'] !== undefined ? { accessTokenTtl: Number(values['access-token-ttl']) } : {}),
      ...(values.claims !== undefined ? { claims: list(values.claims) } : {}),
      ...(values['signing-alg'] !== undefined ? { signingAlg: values['signing-alg'] as 'RS256' } : {}),
    };
    const api = await apis.update(identifier, changes);
    ctx.out(values.json ? JSON.stringify(api) : `updated API ${api.identifier}`);
    return;
  }
  if (sub === 'list') {
    const { values } = parse(rest, { json: { type: 'boolean' } });
    const all = await apis.list();
    ctx.out(
      values.json
        ? JSON.stringify(all)
        : table(
            all.map((a) => ({
              identifier: a.identifier,
              name: a.name,
              scopes: a.scopes.map((s) => s.name).join(' '),
              claims: a.claims.join(','),
              alg: a.signingAlg,
            })),
          ),
    );
    return;
  }
  throw new UsageError('apis create|update IDENTIFIER|list');
}
