/**
 * The benchmark's yardstick: bare oidc-provider 9 with its built-in in-memory adapter, configured
 * to issue the same token Gatehouse issues for client_credentials (RS256 RSA-2048 `at+jwt` with one
 * audience and scope `read`). Everything Gatehouse adds on top — storage, audit, rate limits,
 * logging — is what the ratios in client-credentials.ts and run.ts measure.
 *
 * Introspection is enabled too; `resource=urn:bench:opaque` on a client_credentials request gives
 * an opaque access token (stored in the in-memory adapter) to introspect.
 *
 * Refresh-token rotation (issue 17 measures Gatehouse's refresh against the bare library's): a
 * second, confidential client (BENCH_WEB_CLIENT_ID, same secret) with the authorization_code and
 * refresh_token grants, `rotateRefreshToken: true`, and the response Gatehouse gives on refresh —
 * a new refresh token, an opaque access token for userinfo and an RS256 ID token. Its chains start
 * from `POST /bench/refresh-chains?count=N` (Bearer = the client secret), which saves N grants
 * and refresh tokens straight through the provider's models: the bare library has no sign-in
 * pages to reach them by, and the chain's first token is not what is measured.
 *
 *   node bench/peer-server.ts [--port 0]
 *
 * Client credentials come from BENCH_CLIENT_ID / BENCH_CLIENT_SECRET (env, not argv, so they stay
 * out of process listings). Prints `READY <url>` once listening on 127.0.0.1.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type Configuration } from 'oidc-provider';

const PEER_API = 'https://api.bench.example';
const OPAQUE_RESOURCE = 'urn:bench:opaque';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
const clientId = process.env.BENCH_CLIENT_ID ?? 'bench';
const clientSecret = process.env.BENCH_CLIENT_SECRET ?? 'bench-secret-that-is-long-enough-for-the-peer';
const webClientId = process.env.BENCH_WEB_CLIENT_ID ?? 'bench-web';
const REDIRECT_URI = 'http://127.0.0.1:9/callback';
const CHAIN_SCOPE = 'openid offline_access';

const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
const jwk = { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'bench-rs256' };

// Bind first: the issuer must carry the real port when --port 0 picks one.
const server = createServer();
await new Promise<void>((resolve) => server.listen(Number(values.port), '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const configuration: Configuration = {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      client_id: webClientId,
      client_secret: clientSecret,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [REDIRECT_URI],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [jwk as never] },
  // Static keys silence the "insecure default cookie keys" notice; no cookies are set on /token anyway.
  cookies: { keys: ['bench-cookie-key-0123456789abcdef0123456789'] },
  // Gatehouse's default access-token lifetime; also silences the per-request default-TTL notices.
  ttl: { ClientCredentials: 900, AccessToken: 900, IdToken: 3600, RefreshToken: 14 * 86_400, Grant: 14 * 86_400 },
  // Every refresh consumes its token and issues a successor, as Gatehouse does.
  rotateRefreshToken: true,
  // Every account exists; its ID token carries `sub` only (Gatehouse's bench chains ask for openid alone).
  findAccount: async (_ctx, accountId) => ({ accountId, claims: async () => ({ sub: accountId }) }),
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // The API for the client-credentials client; none for the web client, so its refresh
      // gives an opaque access token for userinfo, like Gatehouse's.
      defaultResource: async (_ctx, client) => (client?.clientId === clientId ? PEER_API : undefined),
      getResourceServerInfo: async (_ctx, resource) =>
        resource === OPAQUE_RESOURCE
          ? { scope: 'read', audience: OPAQUE_RESOURCE, accessTokenFormat: 'opaque' }
          : { scope: 'read', audience: PEER_API, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } },
      useGrantedResource: async () => false,
    },
  },
};

// No `adapter`: the point is oidc-provider's own in-memory one (it prints a NOTICE saying so).
const provider = new Provider(url, configuration);
const callback = provider.callback();

/** N fresh refresh-token chains for the web client, as a JSON array of token values. */
async function refreshChains(count: number): Promise<string[]> {
  const client = await provider.Client.find(webClientId);
  if (!client) throw new Error(`client ${webClientId} not found`);
  return Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const accountId = `bench-account-${index}`;
      const grant = new provider.Grant({ accountId, clientId: webClientId });
      grant.addOIDCScope(CHAIN_SCOPE);
      const grantId = await grant.save();
      const token = new provider.RefreshToken({ accountId, client, grantId, scope: CHAIN_SCOPE, gty: 'authorization_code', expiresWithSession: false });
      return token.save();
    }),
  );
}

server.on('request', (request, response) => {
  const setup = request.method === 'POST' && request.url?.startsWith('/bench/refresh-chains');
  if (!setup) return void callback(request, response);
  if (request.headers.authorization !== `Bearer ${clientSecret}`) {
    response.writeHead(401).end();
    return;
  }
  const count = Number(new URL(request.url!, url).searchParams.get('count') ?? '1');
  if (!Number.isInteger(count) || count < 1 || count > 1000) {
    response.writeHead(400).end();
    return;
  }
  refreshChains(count).then(
    (tokens) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(tokens)),
    (error: Error) => response.writeHead(500).end(error.message),
  );
});

process.stdout.write(`READY ${url}\n`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
