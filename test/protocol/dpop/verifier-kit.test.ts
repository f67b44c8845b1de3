/**
 * `gatehouse/verify` with DPoP-bound tokens (RFC 9449 §4.3, §7): a real token from Gatehouse,
 * bound to a client key, and every way a proof can be wrong. Each refused variant is a request an
 * attacker holding the token (but not the key, or replaying a proof) could make.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AccessTokenError, challengeFor, createAccessTokenVerifier, type ReplayStore } from 'gatehouse/verify';
import { calculateJwkThumbprint, decodeJwt, exportJWK } from 'jose';
import { createApi, createMachineClient } from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';
import { dpopKey } from './proofs.ts';

const API_URL = 'https://api.example.test/invoices';
let server: TestServer;
let audience: string;
let key: Awaited<ReturnType<typeof dpopKey>>;
let bound: string;
let unbound: string;
before(async () => {
  server = await startServer();
  audience = await createApi(server, ['invoices:read']);
  const client = await createMachineClient(server, audience, ['invoices:read']);
  key = await dpopKey();
  const request = async (dpop?: string) => {
    const response = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
        ...(dpop ? { dpop } : {}),
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'invoices:read' }),
    });
    const body = (await response.json()) as { access_token: string; token_type: string };
    return body;
  };
  const issued = await request(await key.proof({ htm: 'POST', htu: `${server.url}/token` }));
  assert.equal(issued.token_type, 'DPoP');
  bound = issued.access_token;
  unbound = (await request()).access_token;
});
after(() => server.close());

const verifier = (replayStore?: ReplayStore) => createAccessTokenVerifier({ issuer: server.url, audience, ...(replayStore ? { dpop: { replayStore } } : {}) });
const dpopRequest = (proof: string | undefined, overrides: { method?: string; url?: string; token?: string } = {}) => ({
  authorization: `DPoP ${overrides.token ?? bound}`,
  dpop: proof,
  method: overrides.method ?? 'GET',
  url: overrides.url ?? API_URL,
});

async function refused(promise: Promise<unknown>, code: string, message: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AccessTokenError, String(error));
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  });
}

test('a bound token with a valid proof is accepted: scheme DPoP, the key thumbprint reported', async () => {
  const token = await verifier().verifyRequest(dpopRequest(await key.proof({ htm: 'GET', htu: API_URL, accessToken: bound })), { scopes: ['invoices:read'] });
  assert.equal(token.scheme, 'DPoP');
  assert.equal(token.boundKeyThumbprint, await calculateJwkThumbprint(key.jwk));
  assert.equal((decodeJwt(bound).cnf as { jkt: string }).jkt, token.boundKeyThumbprint);
  // htu is compared without query and with the scheme/host case and default port normalised.
  await verifier().verifyRequest(dpopRequest(await key.proof({ htm: 'GET', htu: 'HTTPS://API.example.test:443/invoices', accessToken: bound }), { url: `${API_URL}?page=2` }));
});

test('a DPoP-bound token presented as a bearer token is refused (no downgrade), by verify() and verifyRequest()', async () => {
  await refused(verifier().verify(bound), 'invalid_token', /DPoP-bound token presented as a bearer token/);
  const asBearer = verifier().verifyRequest({ authorization: `Bearer ${bound}`, method: 'GET', url: API_URL });
  await refused(asBearer, 'invalid_token', /bearer/);
  const error = (await asBearer.catch((e: unknown) => e)) as AccessTokenError;
  assert.equal(error.status, 401);
  assert.match(challengeFor(error, { dpopAlgorithms: ['ES256'] }), /^DPoP error="invalid_token", error_description="[^"]+", algs="ES256"$/);
});

test('an unbound token presented with the DPoP scheme is refused; as Bearer it is accepted', async () => {
  await refused(verifier().verifyRequest(dpopRequest(await key.proof({ htm: 'GET', htu: API_URL, accessToken: unbound }), { token: unbound })), 'invalid_token', /not a DPoP-bound token/);
  assert.equal((await verifier().verifyRequest({ authorization: `Bearer ${unbound}`, method: 'GET', url: API_URL })).scheme, 'Bearer');
});

test('refused proofs: missing, two of them, wrong method, wrong URL, stale, from the future, wrong access token, no ath', async () => {
  const v = verifier();
  const good = { htm: 'GET', htu: API_URL, accessToken: bound };
  const now = Math.floor(Date.now() / 1000);
  await refused(v.verifyRequest(dpopRequest(undefined)), 'invalid_dpop_proof', /needs a DPoP proof/);
  const one = await key.proof(good);
  await refused(v.verifyRequest({ ...dpopRequest(undefined), dpop: [one, await key.proof(good)] }), 'invalid_dpop_proof', /exactly one/);
  await refused(v.verifyRequest(dpopRequest(`${one},${one}`)), 'invalid_dpop_proof', /exactly one/);
  await refused(v.verifyRequest(dpopRequest(await key.proof({ ...good, htm: 'POST' }))), 'invalid_dpop_proof', /htm/);
  await refused(v.verifyRequest(dpopRequest(await key.proof({ ...good, htu: 'https://api.example.test/other' }))), 'invalid_dpop_proof', /htu/);
  await refused(v.verifyRequest(dpopRequest(await key.proof({ ...good, htu: 'https://evil.example.test/invoices' }))), 'invalid_dpop_proof', /htu/);
  await refused(v.verifyRequest(dpopRequest(await key.proof(good, { claims: { iat: now - 600 } }))), 'invalid_dpop_proof', /too far in the past/);
  await refused(v.verifyRequest(dpopRequest(await key.proof(good, { claims: { iat: now + 600 } }))), 'invalid_dpop_proof', /in the past/);
  await refused(v.verifyRequest(dpopRequest(await key.proof({ ...good, accessToken: unbound }))), 'invalid_dpop_proof', /ath/);
  await refused(v.verifyRequest(dpopRequest(await key.proof({ htm: 'GET', htu: API_URL }))), 'invalid_dpop_proof', /"ath" claim/);
});

test('refused proofs: another key than the bound one, a private key in the header, a wrong signature, typ, none and HS256', async () => {
  const v = verifier();
  const good = { htm: 'GET', htu: API_URL, accessToken: bound };
  const thief = await dpopKey();
  await refused(v.verifyRequest(dpopRequest(await thief.proof(good))), 'invalid_dpop_proof', /not the key the token is bound to/);
  const privateJwk = await exportJWK(key.privateKey);
  await refused(v.verifyRequest(dpopRequest(await key.proof(good, { headerJwk: privateJwk }))), 'invalid_dpop_proof', /public key/);
  await refused(v.verifyRequest(dpopRequest(await key.proof(good, { signWith: thief.privateKey }))), 'invalid_dpop_proof', /signature/);
  await refused(v.verifyRequest(dpopRequest(await key.proof(good, { header: { typ: 'JWT' } }))), 'invalid_dpop_proof', /typ/);
  const [header, payload] = (await key.proof(good)).split('.');
  const noneHeader = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(header!, 'base64url').toString()), alg: 'none' })).toString('base64url');
  await refused(v.verifyRequest(dpopRequest(`${noneHeader}.${payload}.`)), 'invalid_dpop_proof', /invalid DPoP proof/);
  const hsHeader = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(header!, 'base64url').toString()), alg: 'HS256' })).toString('base64url');
  await refused(v.verifyRequest(dpopRequest(`${hsHeader}.${payload}.c2ln`)), 'invalid_dpop_proof', /invalid DPoP proof/);
});

test('a proof is accepted once: a replay is refused, and a shared replay store refuses it on another instance', async () => {
  const proof = await key.proof({ htm: 'GET', htu: API_URL, accessToken: bound });
  const single = verifier();
  await single.verifyRequest(dpopRequest(proof));
  await refused(single.verifyRequest(dpopRequest(proof)), 'invalid_dpop_proof', /already used/);

  const seen = new Map<string, number>();
  const calls: string[] = [];
  const shared: ReplayStore = {
    rememberOnce(entry, expiresAtMs) {
      calls.push(entry);
      if (seen.has(entry)) return false;
      seen.set(entry, expiresAtMs);
      return true;
    },
  };
  const another = await key.proof({ htm: 'GET', htu: API_URL, accessToken: bound });
  await verifier(shared).verifyRequest(dpopRequest(another));
  await refused(verifier(shared).verifyRequest(dpopRequest(another)), 'invalid_dpop_proof', /already used/);
  assert.equal(calls.length, 2);
  assert.ok(calls[0]!.startsWith(`${await calculateJwkThumbprint(key.jwk)}:`), 'entries are per key and jti');
  const expiry = [...seen.values()][0]!;
  assert.ok(expiry > Date.now() && expiry <= Date.now() + 70_000, 'remembered only as long as the proof could be accepted');
});

test('a garbage Authorization scheme is refused as a missing token', async () => {
  await refused(verifier().verifyRequest({ authorization: `Basic ${bound}`, method: 'GET', url: API_URL }), 'invalid_token', /missing access token/);
});
