import { type CommandContext, durationSeconds, list, parse, required, table, UsageError } from '../context.ts';

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
      jwks: { type: 'string' },
      'cors-origins': { type: 'string' },
      'access-token-ttl': { type: 'string' },
      'refresh-token-ttl': { type: 'string' },
      'require-mfa': { type: 'boolean' },
      'exact-redirect-port': { type: 'boolean' },
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
      requireMfa: values['require-mfa'] ?? false,
      exactRedirectPort: values['exact-redirect-port'] ?? false,
      ...(values.jwks ? { jwks: parseJson(values.jwks, '--jwks') } : {}),
      ...(values['cors-origins'] ? { allowedCorsOrigins: list(values['cors-origins']) } : {}),
      ...(values['access-token-ttl'] ? { accessTokenTtl: durationSeconds(values['access-token-ttl'], '--access-token-ttl') } : {}),
      ...(values['refresh-token-ttl'] ? { refreshTokenTtl: durationSeconds(values['refresh-token-ttl'], '--refresh-token-ttl') } : {}),
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
  if (sub === 'rotate-secret') {
    const { values, positionals } = parse(rest, { overlap: { type: 'string' }, json: { type: 'boolean' } });
    const clientId = required(positionals[0], 'CLIENT_ID');
    const overlapSeconds = durationSeconds(values.overlap ?? '24h', '--overlap');
    const rotated = await clients.rotateSecret(clientId, { overlapSeconds });
    if (values.json) {
      ctx.out(JSON.stringify(rotated));
      return;
    }
    ctx.out(`client_secret: ${rotated.clientSecret}\n(shown once: store it now; only its digest is kept)`);
    ctx.out(
      rotated.previousSecretExpiresAt
        ? `the previous secret keeps working until ${new Date(rotated.previousSecretExpiresAt * 1000).toISOString()}`
        : 'the previous secret no longer works',
    );
    return;
  }
  throw new UsageError('clients create|list|delete|rotate-secret');
}

function parseJson(value: string, flag: string): never {
  try {
    return JSON.parse(value) as never;
  } catch {
    throw new UsageError(`${flag} must be JSON`);
  }
}
