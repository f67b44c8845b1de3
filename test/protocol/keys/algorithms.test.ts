import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { authorizationCodeFlow, createUser, createWebClient, discover } from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';

let server: TestServer;
before(async () => {
  server = await startServer({ env: { GATEHOUSE_SIGNING_ALGS: 'RS256,ES256,EdDSA' } });
});
after(() => server.close());

test('with ES256 and EdDSA enabled, each algorithm has its own published key and RS256 stays on', async () => {
  const { keys } = (await (await fetch(`${server.url}/jwks`)).json()) as { keys: Array<{ alg: string; kty: string; crv?: string }> };
  assert.deepEqual(keys.map((key) => key.alg).sort(), ['ES256', 'EdDSA', 'RS256']);
  const discovery = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, string[]>;
  assert.deepEqual([...discovery.id_token_signing_alg_values_supported!].sort(), ['ES256', 'EdDSA', 'RS256']);
  assert.ok(!discovery.id_token_signing_alg_values_supported!.some((alg) => alg === 'none' || alg.startsWith('HS')), 'no none, no HS*');
});

for (const alg of ['ES256', 'EdDSA'] as const) {
  test(`a client registered for ${alg} ID tokens gets them, verifiable with the JWKS alone`, async () => {
    const user = await createUser(server);
    const client = await createWebClient(server, { idTokenSigningAlg: alg });
    const { tokens } = await authorizationCodeFlow(server, await discover(server, client), user);
    assert.equal(decodeProtectedHeader(tokens.id_token!).alg, alg);
    const { payload } = await jwtVerify(tokens.id_token!, createRemoteJWKSet(new URL(`${server.url}/jwks`)), { issuer: server.url, audience: client.clientId, algorithms: [alg] });
    assert.equal(payload.sub, user.id);
  });
}
