import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as oidc from 'openid-client';
import { Browser } from '../../harness/browser.ts';
import { createUser, createWebClient, REDIRECT_URI, signInThroughPages, tokenRequest } from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';

let server: TestServer;
let client: { clientId: string; clientSecret: string };
let user: { email: string; password: string };
before(async () => {
  server = await startServer();
  client = await createWebClient(server);
  user = await createUser(server);
});
after(() => server.close());

function authorizeUrl(params: Record<string, string>): URL {
  const url = new URL(`${server.url}/auth`);
  const defaults = { client_id: client.clientId, response_type: 'code', scope: 'openid offline_access', prompt: 'consent', redirect_uri: REDIRECT_URI, state: 'st' };
  for (const [key, value] of Object.entries({ ...defaults, ...params })) if (value !== '') url.searchParams.set(key, value);
  return url;
}

async function codeFor(verifier: string): Promise<string> {
  const url = authorizeUrl({ code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
  const { callback } = await signInThroughPages(server, url, user);
  return callback.searchParams.get('code')!;
}

const exchange = (code: string, verifier: string, redirectUri = REDIRECT_URI) =>
  tokenRequest(server, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri }, { id: client.clientId, secret: client.clientSecret });

test('PKCE "plain" is refused with invalid_request, returned to the client', async () => {
  const { leftTo } = await new Browser().follow(authorizeUrl({ code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }), server.url);
  assert.equal(leftTo?.searchParams.get('error'), 'invalid_request');
  assert.match(leftTo?.searchParams.get('error_description') ?? '', /code_challenge_method/);
});

test('a missing code_challenge is refused, for confidential clients too (RFC 9700)', async () => {
  const { leftTo } = await new Browser().follow(authorizeUrl({}), server.url);
  assert.equal(leftTo?.searchParams.get('error'), 'invalid_request');
  assert.match(leftTo?.searchParams.get('error_description') ?? '', /PKCE/);
});

test('a redirect_uri differing by one character is refused on an error page, never redirected to', async () => {
  const response = await new Browser().request(
    authorizeUrl({ redirect_uri: REDIRECT_URI.replace('callback', 'callbacc'), code_challenge: 'a'.repeat(43), code_challenge_method: 'S256' }),
  );
  assert.equal(response.status, 400);
  assert.equal(response.headers.get('location'), null);
  assert.match(await response.text(), /redirect_uri/);
});

test('the code exchange needs the exact redirect_uri and the right code_verifier', async () => {
  const verifier = oidc.randomPKCECodeVerifier();
  const code = await codeFor(verifier);
  const wrongVerifier = await exchange(code, oidc.randomPKCECodeVerifier());
  assert.equal(wrongVerifier.body.error, 'invalid_grant');
  const wrongRedirect = await exchange(code, verifier, `${REDIRECT_URI}/`);
  assert.equal(wrongRedirect.body.error, 'invalid_grant');
  const missingVerifier = await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI }, { id: client.clientId, secret: client.clientSecret });
  assert.equal(missingVerifier.body.error, 'invalid_grant');
  assert.equal((await exchange(code, verifier)).status, 200, 'failed attempts did not burn the code');
});

test('a reused authorization code is refused and the tokens issued from it are revoked', async () => {
  const verifier = oidc.randomPKCECodeVerifier();
  const code = await codeFor(verifier);
  const first = await exchange(code, verifier);
  assert.equal(first.status, 200);
  const second = await exchange(code, verifier);
  assert.equal(second.status, 400);
  assert.equal(second.body.error, 'invalid_grant');

  const refresh = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: String(first.body.refresh_token) }, { id: client.clientId, secret: client.clientSecret });
  assert.equal(refresh.body.error, 'invalid_grant', 'the refresh token from the first exchange is dead');
  const userinfo = await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${first.body.access_token}` } });
  assert.equal(userinfo.status, 401, 'the access token from the first exchange is dead');
});

test('20 parallel exchanges of one code yield exactly one token response', async () => {
  const verifier = oidc.randomPKCECodeVerifier();
  const code = await codeFor(verifier);
  const results = await Promise.all(Array.from({ length: 20 }, () => exchange(code, verifier)));
  const ok = results.filter((result) => result.status === 200);
  assert.equal(ok.length, 1);
  for (const result of results.filter((r) => r.status !== 200)) {
    assert.equal(result.status, 400);
    assert.equal(result.body.error, 'invalid_grant');
  }
});

test('authorization codes live only in the ephemeral store, never in the durable table', async () => {
  const verifier = oidc.randomPKCECodeVerifier();
  const code = await codeFor(verifier);
  // Codes are ephemeral: they never reach the durable table.
  const durable = await server.gatehouse.storage.db('oidc_payloads').where({ model: 'AuthorizationCode' }).count({ n: '*' });
  assert.equal(Number(durable[0]?.n), 0);
  assert.equal((await exchange(code, verifier)).status, 200);
});
