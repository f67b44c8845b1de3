import { type CommandContext, list, parse, required, table, UsageError } from '../context.ts';

export async function clientsCommand(ctx: CommandContext, args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const { clients } = ctx.services;
  if (sub === 'create') {
    const { values } = parse(rest, {
      name: { type: 'string' },
      type: { type: 'string' },
      'grant-types': { type: 'string' },
      'redirect-uris': { type: 'string' },
      'post-logout-redirect-uris': { type: 'string' },
      scopes: { type: 'string' },
      resources: { type: 'string' },
      'auth-method': { type: 'string' },
      'jwks-uri': { type: 'string' },
      'backchannel-logout-uri': { type: 'string' },
      'keep-offline-access-on-logout': { type: 'boolean' },
      'first-party': { type: 'boolean' },
      'id-token-alg': { type: 'string' },
      json: { type: 'boolean' },
    });
    const { client, clientSecret } = await clients.create({
      name: required(values.name, '--name'),
      type: required(values.type, '--type') as 'public',
      grantTypes: list(required(values['grant-types'], '--grant-types')) as ['client_credentials'],
      redirectUris: list(values['redirect-uris']),
      postLogoutRedirectUris: list(values['post-logout-redirect-uris']),
      scopes: list(values.scopes),
      resources: list(values.resources),
      tokenEndpointAuthMethod: values['auth-method'] as 'none' | undefined,
      jwksUri: values['jwks-uri'],
      backchannelLogoutUri: values['backchannel-logout-uri'],
      keepOfflineAccessOnLogout: values['keep-offline-access-on-logout'] ?? false,
      firstParty: values['first-party'] ?? false,
      idTokenSigningAlg: values['id-token-alg'] as 'RS256' | undefined,
    });
    if (values.json) {
      ctx.out(JSON.stringify({ ...client, clientSecret }));
      return;
    }
    ctx.out(`client_id:     ${client.clientId}`);
    if (clientSecret) ctx.out(`client_secret: ${clientSecret}\n(shown once: store it now; only its digest is kept)`);
    return;
  }
  if (sub === 'list') {
    const { values } = parse(rest, { json: { type: 'boolean' } });
    const all = await clients.list();
    ctx.out(
      values.json
        ? JSON.stringify(all)
        : table(all.map((c) => ({ client_id: c.clientId, name: c.name, type: c.type, grants: c.grantTypes.join(',') }))),
    );
    return;
  }
  if (sub === 'delete') {
    const { positionals } = parse(rest, {});
    const clientId = required(positionals[0], 'CLIENT_ID');
    if (!(await clients.delete(clientId))) throw new UsageError(`no client ${clientId}`);
    ctx.out(`deleted client ${clientId}`);
    return;
  }
  throw new UsageError('clients create|list|delete');
}
