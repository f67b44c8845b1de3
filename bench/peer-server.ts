/**
 * The benchmark's yardstick: bare oidc-provider 9 with its built-in in-memory adapter, configured
 * to issue the same token Gatehouse issues for client_credentials (RS256 RSA-2048 `at+jwt` with one
 * audience and scope `read`). Everything Gatehouse adds on top — storage, audit, rate limits,
 * logging — is what the ratios in client-credentials.ts and run.ts measure.
 *
 * Introspection is enabled too; `resource=urn:bench:opaque` on a client_credentials request gives
 * an opaque access token (stored in the in-memory adapter) to introspect.
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
  ],
  jwks: { keys: [jwk as never] },
  // Static keys silence the "insecure default cookie keys" notice; no cookies are set on /token anyway.
  cookies: { keys: ['bench-cookie-key-0123456789abcdef0123456789'] },
  // Gatehouse's default access-token lifetime; also silences the per-request default-TTL notice.
  ttl: { ClientCredentials: 900 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => PEER_API,
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
server.on('request', provider.callback());

process.stdout.write(`READY ${url}\n`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
