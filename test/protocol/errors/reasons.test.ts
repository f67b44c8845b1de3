import assert from 'node:assert/strict';
import { after, before, mock, test } from 'node:test';
import * as oidc from 'openid-client';
import { authorizationRequestUrl, createUser, createWebClient, REDIRECT_URI, signInThroughPages, tokenRequest } from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
let server: TestServer;
let client: { clientId: string; clientSecret: string };
let user: { email: string; password: string };
before(async () => {
  server = await startServer({ env: { GATEHOUSE_METRICS_TOKEN: METRICS_TOKEN } });
  client = await createWebClient(server);
  user = await createUser(server);
});
after(() => server.close());

async function code(verifier: string) {
  const { callback } = await signInThroughPages(server, await authorizationRequestUrl(server.url, client.clientId, verifier), user);
  return callback.searchParams.get('code')!;
}

async function exchange(value: string, verifier: string) {
  const response = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: value, code_verifier: verifier, redirect_uri: REDIRECT_URI }),
  });
  return { status: response.status, requestId: response.headers.get('x-request-id'), body: (await response.json()) as Record<string, string> };
}

const errorLines = () => server.logs.filter((line) => line.event === 'oauth.error' && line.endpoint === 'token');

test('an expired, a reused, an unknown code and a wrong code_verifier get one generic answer, but each is logged with its reason, request id and client id', async () => {
  const verifier = oidc.randomPKCECodeVerifier();
  const first = await code(verifier);
  const wrongVerifier = oidc.randomPKCECodeVerifier();
  const attempts = { pkce: await exchange(first, wrongVerifier) };
  assert.equal((await exchange(first, verifier)).status, 200);
  const reused = await exchange(first, verifier);
  const unknownCode = 'x'.repeat(43);
  const unknown = await exchange(unknownCode, verifier);

  const secondVerifier = oidc.randomPKCECodeVerifier();
  const second = await code(secondVerifier);
  // oidc-provider reads Date.now(): move time past the 60 s code lifetime, as its own tests do.
  mock.timers.enable({ apis: ['Date'], now: Date.now() });
  let expired: Awaited<ReturnType<typeof exchange>>;
  try {
    mock.timers.setTime(Date.now() + 120_000);
    expired = await exchange(second, secondVerifier);
  } finally {
    mock.timers.reset();
  }

  const all = { ...attempts, reused, unknown, expired };
  for (const [name, attempt] of Object.entries(all)) {
    assert.equal(attempt.status, 400, name);
    assert.deepEqual(attempt.body, { error: 'invalid_grant', error_description: 'grant request is invalid' }, `${name}: the answer stays generic`);
  }
  const reasons = Object.fromEntries(
    Object.entries(all).map(([name, attempt]) => {
      const line = errorLines().find((entry) => entry.requestId === attempt.requestId);
      assert.ok(line, `${name} is logged under its request id`);
      assert.equal(line.clientId, client.clientId);
      assert.equal(line.error, 'invalid_grant');
      assert.equal(line.grantType, 'authorization_code');
      return [name, line.reason];
    }),
  );
  // A code past its lifetime is either found expired or already dropped by the store's own TTL
  // (the in-process store checks time itself; Redis does not see the moved clock).
  const { expired: expiredReason, ...distinct } = reasons;
  assert.match(String(expiredReason), /^authorization code (is expired|not found)$/);
  assert.deepEqual(distinct, {
    pkce: 'code_verifier does not match code_challenge',
    reused: 'authorization code already consumed',
    unknown: 'authorization code not found',
  });
  const raw = server.rawLogs();
  for (const secret of [first, second, unknownCode, verifier, wrongVerifier, secondVerifier]) {
    assert.ok(!raw.includes(secret), 'no code or code_verifier in the logs');
  }
});

test('/metrics counts OAuth errors by endpoint and error', async () => {
  await tokenRequest(server, { grant_type: 'authorization_code', code: 'nope', code_verifier: 'a'.repeat(43), redirect_uri: REDIRECT_URI }, { id: client.clientId, secret: client.clientSecret });
  await tokenRequest(server, { grant_type: 'client_credentials' }, { id: client.clientId, secret: 'wrong' });
  await tokenRequest(server, { grant_type: 'client_credentials' }, { id: client.clientId, secret: client.clientSecret });
  const text = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const count = (labels: string) => Number(new RegExp(`^gatehouse_oauth_errors_total\\{${labels}\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  assert.ok(count('endpoint="token",error="invalid_grant"') >= 1, text.split('\n').filter((l) => l.includes('oauth_errors')).join('\n'));
  assert.ok(count('endpoint="token",error="invalid_client"') >= 1);
  assert.ok(count('endpoint="token",error="unauthorized_client"') >= 1, 'the metric says what the client was told');
});
