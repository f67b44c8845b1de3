/**
 * Issue acceptance: a full rotation cycle, with a resource server that caches the JWKS exactly
 * for the max-age it is given and never refetches early, sees zero failed verifications; after
 * retirement, tokens signed by the old key are refused. Global time is simulated (Date only), as
 * oidc-provider reads Date.now().
 */
import assert from 'node:assert/strict';
import { after, before, mock, test } from 'node:test';
import { AccessTokenError, createAccessTokenVerifier } from 'gatehouse/verify';
import { decodeProtectedHeader, importJWK, SignJWT } from 'jose';
import { openPrivateJwk } from '../../../src/keys/index.ts';
import { createApi, createMachineClient, tokenRequest } from '../../harness/fixtures.ts';
import { startServer, type TestServer, testSecrets } from '../../harness/server.ts';

const DAY = 86_400_000;
let server: TestServer;
let t0: number;
before(async () => {
  t0 = Date.now();
  mock.timers.enable({ apis: ['Date'], now: t0 });
  server = await startServer({
    env: {
      GATEHOUSE_KEY_ROTATION_DAYS: '1',
      GATEHOUSE_KEY_PUBLISH_LEAD: '3600',
      GATEHOUSE_JWKS_MAX_AGE: '300',
      GATEHOUSE_KEY_POLL_SECONDS: '3600',
      LOG_LEVEL: 'warn',
    },
  });
});
after(async () => {
  await server.close();
  mock.timers.reset();
});

async function forgeWith(kid: string, audience: string) {
  const row = (await server.gatehouse.services.keys.list()).find((key) => key.kid === kid)!;
  const jwk = await openPrivateJwk(row.private_jwk_jwe, testSecrets().keyEncryptionSecret);
  return new SignJWT({ scope: 'read', client_id: 'forged' })
    .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid })
    .setIssuer(server.url)
    .setAudience(audience)
    .setSubject('forged')
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(await importJWK(jwk, 'RS256'));
}

test('tokens minted continuously across two rotations all verify at a resource server that caches the JWKS for max-age', async () => {
  const api = await createApi(server, ['read']);
  const client = await createMachineClient(server, api, ['read']);
  let fetches = 0;
  const verifier = createAccessTokenVerifier({
    issuer: server.url,
    audience: api,
    // Never refetch early on an unknown kid: only the cache headers may keep this verifier current.
    unknownKidCooldownSeconds: 1e9,
    maxCacheSeconds: 3600,
    fetch: (input, init) => {
      fetches += 1;
      return fetch(input, init);
    },
  });
  const mint = async () => {
    const response = await tokenRequest(server, { grant_type: 'client_credentials', scope: 'read' }, { id: client.clientId, secret: client.clientSecret });
    assert.equal(response.status, 200);
    return String(response.body.access_token);
  };

  const firstKid = decodeProtectedHeader(await mint()).kid!;
  const forgedBeforeRetirement = await forgeWith(firstKid, api);
  await verifier.verify(forgedBeforeRetirement); // the old key verifies while it is published

  const kids: string[] = [];
  let verified = 0;
  const spanMinutes = 2.1 * 24 * 60;
  for (let minutes = 0; minutes <= spanMinutes; minutes += 4) {
    mock.timers.setTime(t0 + minutes * 60_000);
    await server.gatehouse.jobs.runOnce('keys.refresh');
    const token = await mint();
    const { kid } = decodeProtectedHeader(token);
    if (kids.at(-1) !== kid) kids.push(kid!);
    await verifier.verify(token, { scopes: ['read'] });
    verified += 1;
  }
  assert.ok(kids.length >= 3, `signing moved across keys: ${kids.join(' → ')}`);
  assert.equal(new Set(kids).size, kids.length, 'a superseded key never signs again');
  assert.ok(verified > 700);
  const maxAgeWindows = Math.ceil((spanMinutes * 60) / 300) + 1;
  assert.ok(fetches <= maxAgeWindows, `at most one JWKS fetch per max-age window (${fetches} fetches, ${maxAgeWindows} windows)`);

  // The first key retired one rotation interval plus the longest token lifetime after it stopped signing.
  const states = Object.fromEntries((await server.gatehouse.services.keys.list()).map((key) => [key.kid, key.state]));
  assert.equal(states[firstKid], 'retired');
  mock.timers.setTime(t0 + 2.2 * DAY);
  await assert.rejects(verifier.verify(await forgeWith(firstKid, api)), (error: unknown) => error instanceof AccessTokenError && error.code === 'invalid_token');
});

test('/jwks carries public keys only, with an ETag (304) and a max-age no longer than the publish lead', async () => {
  const response = await fetch(`${server.url}/jwks`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('cache-control'), 'public, max-age=300');
  const etag = response.headers.get('etag');
  assert.ok(etag);
  const { keys } = (await response.json()) as { keys: Array<Record<string, unknown>> };
  assert.ok(keys.length >= 1);
  for (const key of keys) {
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth', 'priv']) assert.equal(key[member], undefined, `private member ${member}`);
    assert.equal(key.use, 'sig');
    assert.ok(key.kid && key.alg);
  }
  const again = await fetch(`${server.url}/jwks`, { headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304);
});
