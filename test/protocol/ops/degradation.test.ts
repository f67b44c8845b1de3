/**
 * Faults (services mode): Redis and Postgres are reached through proxies the test cuts and
 * restores, as if the services stopped and came back. Nothing may hang and nothing may need a restart.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { authorizationCodeFlow, authorizationRequestUrl, createApi, createMachineClient, createUser, createWebClient, discover, tokenRequest } from '../../harness/fixtures.ts';
import { storageEnv, storageMode } from '../../harness/mode.ts';
import { startServer, type TestServer } from '../../harness/server.ts';
import { startTcpProxy } from '../../harness/tcp-proxy.ts';

const services = storageMode() === 'services';
const skip = !services && 'faults need real Postgres + Redis: runs in services mode';
let server: TestServer;
let redisProxy: Awaited<ReturnType<typeof startTcpProxy>>;
let pgProxy: Awaited<ReturnType<typeof startTcpProxy>>;
let machine: { clientId: string; clientSecret: string };
let web: { clientId: string };

before(async () => {
  if (!services) return;
  const env = await storageEnv();
  const redisUrl = new URL(env.REDIS_URL!);
  const databaseUrl = new URL(env.DATABASE_URL!);
  redisProxy = await startTcpProxy({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) });
  pgProxy = await startTcpProxy({ host: databaseUrl.hostname, port: Number(databaseUrl.port || 5432) });
  redisUrl.port = String(redisProxy.port);
  databaseUrl.port = String(pgProxy.port);
  server = await startServer({ env: { REDIS_URL: redisUrl.href, DATABASE_URL: databaseUrl.href } });
  machine = await createMachineClient(server, await createApi(server));
  web = await createWebClient(server);
});
after(async () => {
  await server?.close();
  await redisProxy?.close();
  await pgProxy?.close();
});

const clientCredentials = () =>
  fetch(`${server.url}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${machine.clientId}:${machine.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
    signal: AbortSignal.timeout(8000),
  });
const signInPage = () =>
  fetch(`${server.url}/auth?client_id=${web.clientId}&response_type=code&scope=openid&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`, {
    redirect: 'manual',
    signal: AbortSignal.timeout(8000),
  });
const ready = async () => {
  const response = await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(8000) });
  return { status: response.status, body: (await response.json()) as { checks: Record<string, string> } };
};
async function eventually(check: () => Promise<boolean>, withinMs = 10_000) {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > withinMs) throw new Error('did not recover in time');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('Redis down: sign-in answers a clear 503 page, readiness says so, JWKS and client credentials keep working; all recover by themselves', { skip }, async () => {
  await redisProxy.cut();
  const page = await signInPage();
  assert.equal(page.status, 503);
  assert.match(await page.text(), /temporarily unavailable/i);
  const readiness = await ready();
  assert.equal(readiness.status, 503);
  assert.equal(readiness.body.checks.redis, 'unreachable');
  assert.equal(readiness.body.checks.database, 'ok');
  assert.equal((await fetch(`${server.url}/jwks`)).status, 200);
  assert.equal((await fetch(`${server.url}/.well-known/openid-configuration`)).status, 200);
  assert.equal((await clientCredentials()).status, 200, 'client credentials need no Redis');

  await redisProxy.restore();
  await eventually(async () => (await ready()).status === 200);
  assert.equal((await signInPage()).status, 303, 'sign-in works again without a restart');
});

test('Postgres restart: readiness fails while it is down, and dead pooled connections are evicted, not handed out', { skip }, async () => {
  assert.equal((await clientCredentials()).status, 200); // the pool holds live connections now
  await pgProxy.cut();
  const readiness = await ready();
  assert.equal(readiness.status, 503);
  assert.equal(readiness.body.checks.database, 'unreachable');
  assert.equal((await clientCredentials()).status, 200, 'a client already seen keeps getting tokens (cached for one poll interval)');
  const uncached = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('never-seen-client:secret').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
    signal: AbortSignal.timeout(8000),
  });
  assert.equal(uncached.status, 503, 'anything that needs the database: a clear temporarily_unavailable, not a hang or a 500');
  assert.equal(((await uncached.json()) as { error: string }).error, 'temporarily_unavailable');
  assert.ok(Number(uncached.headers.get('retry-after')) > 0, 'with Retry-After');
  const page = await fetch(`${server.url}/auth?client_id=never-seen-client&response_type=code&scope=openid&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`, {
    redirect: 'manual',
    signal: AbortSignal.timeout(8000),
  });
  assert.equal(page.status, 503, 'the sign-in page: the 503 page, not a 500 page');
  assert.match(await page.text(), /temporarily unavailable/i);
  assert.ok(Number(page.headers.get('retry-after')) > 0);

  await pgProxy.restore();
  await eventually(async () => (await ready()).status === 200);
  const results = await Promise.all(Array.from({ length: 10 }, clientCredentials));
  assert.deepEqual(results.map((r) => r.status), Array(10).fill(200), 'every pooled request succeeds after the restart');
});

test('Redis down during a refresh: 503 with Retry-After, and once Redis is back the same refresh token just works (no theft alarm)', { skip }, async () => {
  const user = await createUser(server);
  const client = await createWebClient(server);
  const { tokens } = await authorizationCodeFlow(server, await discover(server, client), user);
  const refresh = (token: string) => tokenRequest(server, { grant_type: 'refresh_token', refresh_token: token }, { id: client.clientId, secret: client.clientSecret });

  await redisProxy.cut();
  const during = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }),
    signal: AbortSignal.timeout(8000),
  });
  assert.equal(during.status, 503, 'a clear temporarily_unavailable, not a 500');
  assert.equal(((await during.json()) as { error: string }).error, 'temporarily_unavailable');
  assert.ok(Number(during.headers.get('retry-after')) > 0, 'with Retry-After');

  await redisProxy.restore();
  await eventually(async () => (await ready()).status === 200);
  const retried = await refresh(tokens.refresh_token!);
  assert.equal(retried.status, 200, `the honest retry works: ${JSON.stringify(retried.body)}`);
  assert.equal((await refresh(String(retried.body.refresh_token))).status, 200, 'and the chain goes on');
  assert.ok(!server.logs.some((line) => line.event === 'refresh_token.reused' && line.clientId === client.clientId), 'no theft alarm');
});

test('Postgres down while a signed-in browser authorizes: the 503 page, never a 500 page or an error redirect to the app', { skip }, async () => {
  const user = await createUser(server);
  const client = await createWebClient(server);
  const { browser } = await authorizationCodeFlow(server, await discover(server, client), user);
  // The client is cached now; what needs the database next is the user's grant (loadExistingGrant).
  const again = await authorizationRequestUrl(server.url, client.clientId, 'v'.repeat(43), { prompt: undefined });
  await pgProxy.cut();
  try {
    const response = await browser.request(again);
    assert.equal(response.status, 503, `the sign-in answers 503 (${response.status} ${response.headers.get('location') ?? ''})`);
    assert.equal(response.headers.get('location'), null, 'no redirect carrying the error to the app');
    assert.match(await response.text(), /temporarily unavailable/i);
    assert.ok(Number(response.headers.get('retry-after')) > 0);
  } finally {
    await pgProxy.restore();
  }
  await eventually(async () => (await ready()).status === 200);
});
