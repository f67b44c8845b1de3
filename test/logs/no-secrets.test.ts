import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Browser } from '../harness/browser.ts';
import {
  authorizationCodeFlow,
  createApi,
  createMachineClient,
  createUser,
  createWebClient,
  discover,
  tokenRequest,
} from '../harness/fixtures.ts';
import { startServer, type TestServer } from '../harness/server.ts';

let server: TestServer;
before(async () => {
  server = await startServer({ env: { LOG_LEVEL: 'trace' } });
});
after(() => server.close());

test('no password, client secret, code, token or cookie ever reaches the logs, at the most verbose level', async () => {
  const secrets: string[] = [];
  const user = await createUser(server);
  const client = await createWebClient(server);
  secrets.push(user.password, client.clientSecret);
  const config = await discover(server, client);
  const { tokens, callback, browser } = await authorizationCodeFlow(server, config, user);
  secrets.push(callback.searchParams.get('code')!, tokens.access_token, tokens.refresh_token!, tokens.id_token!);

  const refreshed = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, { id: client.clientId, secret: client.clientSecret });
  secrets.push(String(refreshed.body.refresh_token), String(refreshed.body.access_token));
  // A reuse (security event) and a failed client authentication are logged too.
  await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: 'x'.repeat(43) }, { id: client.clientId, secret: 'wrong-secret-value-123' });
  secrets.push('wrong-secret-value-123');

  // A failed sign-in through the real page with a password that must not be logged.
  const wrongPassword = 'a-wrong-password-that-must-not-appear';
  const attacker = new Browser();
  const login = await attacker.follow(
    `${server.url}/auth?client_id=${client.clientId}&response_type=code&scope=openid&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`,
    server.url,
  );
  const failed = await attacker.submitForm({ url: server.url, html: await login.response!.text() }, /\/login$/, { email: user.email, password: wrongPassword }, server.url);
  assert.equal(failed.response?.status, 401);
  secrets.push(wrongPassword);

  const api = await createApi(server);
  const machine = await createMachineClient(server, api);
  const cc = await tokenRequest(server, { grant_type: 'client_credentials', scope: 'read' }, { id: machine.clientId, secret: machine.clientSecret });
  secrets.push(machine.clientSecret, String(cc.body.access_token));
  const cookie = browser.cookieHeader(new URL(server.url));
  for (const pair of cookie.split('; ').filter(Boolean)) secrets.push(pair.split('=')[1]!);

  const logs = server.rawLogs();
  assert.ok(logs.length > 1000, 'the server did log (trace level)');
  for (const secret of secrets.filter((value) => value.length >= 8)) {
    assert.ok(!logs.includes(secret), `a secret leaked into the logs: ${secret.slice(0, 6)}…`);
  }
});

test('every request is logged once with a request id, method, path and status, never the query string', async () => {
  const response = await fetch(`${server.url}/healthz?token=should-not-be-logged`, { headers: { 'x-request-id': 'req-abc-123' } });
  assert.equal(response.headers.get('x-request-id'), 'req-abc-123');
  const line = server.logs.find((entry) => entry.requestId === 'req-abc-123');
  assert.deepEqual({ method: line?.method, path: line?.path, status: line?.status }, { method: 'GET', path: '/healthz', status: 200 });
  assert.ok(!server.rawLogs().includes('should-not-be-logged'));
});
