/**
 * A registered client in use (code + PKCE with consent), the per-IP registration limit, the
 * switch that turns registration off, and the deletion of clients nobody uses any more.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { Browser } from '../../harness/browser.ts';
import { createTestClock } from '../../harness/clock.ts';
import { authorizationRequestUrl, createUser, REDIRECT_URI, tokenRequest } from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';
import { waitFor } from '../../harness/wait.ts';
import { auditEvents, call, DCR_ENV, freshIp, mint, register } from './setup.ts';

const webApp = { client_name: 'Third-party app', redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], scope: 'openid email' };

describe('a registered client in use', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ env: { ...DCR_ENV, GATEHOUSE_DCR_RATE_LIMIT_PER_HOUR: '3' } });
  });
  after(() => server.close());

  test('runs authorization code + PKCE, and the user is asked for consent (it is third-party)', async () => {
    const { token } = await mint(server);
    const registered = await register(server, token, webApp);
    assert.equal(registered.status, 201);
    const clientId = String(registered.body.client_id);
    const user = await createUser(server);

    const verifier = oidc.randomPKCECodeVerifier();
    // No prompt=consent: the consent screen must come from the client being third-party.
    const url = await authorizationRequestUrl(server.url, clientId, verifier, { scope: 'openid email', prompt: 'login' });
    const browser = new Browser();
    const first = await browser.follow(url, server.url);
    const loginPage = await first.response!.text();
    const afterLogin = await browser.submitForm({ url: server.url, html: loginPage }, /\/login$/, { email: user.email, password: user.password }, server.url);
    const consentPage = await afterLogin.response!.text();
    assert.match(consentPage, /\/confirm"/, 'the consent page is shown');
    assert.match(consentPage, /Third-party app/);
    const done = await browser.submitForm({ url: server.url, html: consentPage }, /\/confirm$/, {}, server.url);
    const code = done.leftTo?.searchParams.get('code');
    assert.ok(code, `back at the client with a code: ${done.leftTo}`);

    const tokens = await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier, client_id: clientId });
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    assert.ok(tokens.body.id_token);
    const withoutVerifier = await tokenRequest(server, { grant_type: 'authorization_code', code: 'x', redirect_uri: REDIRECT_URI, client_id: clientId });
    assert.equal(withoutVerifier.status, 400);
  });

  test('registration is rate-limited per IP: 429 with Retry-After, other IPs unaffected, audited', async () => {
    const { token } = await mint(server, {}, 20);
    const ip = freshIp();
    for (let i = 0; i < 3; i += 1) assert.equal((await register(server, token, webApp, ip)).status, 201);
    const limited = await register(server, token, webApp, ip);
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) > 0, 'Retry-After says when');
    const unauthenticated = await register(server, undefined, webApp, ip);
    assert.equal(unauthenticated.status, 429, 'guessing tokens counts against the same budget');
    assert.equal((await register(server, token, webApp, freshIp())).status, 201);
    const summary = await server.gatehouse.services.registration.listInitialAccessTokens();
    assert.equal(summary.find((t) => t.policy && t.quota === 20)?.used, 4, 'a limited request spends no quota');
    const rejected = await auditEvents(server, 'ratelimit.rejected');
    assert.ok(rejected.some((event) => event.ip === ip && (event.details as { path?: string }).path === '/register'));
  });
});

test('registration off (the default): /register is a 404 and discovery does not advertise it', async () => {
  const server = await startServer();
  try {
    const discovery = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    assert.equal(discovery.registration_endpoint, undefined);
    const { token } = await mint(server);
    const before = (await server.gatehouse.services.clients.list()).length;
    const response = await register(server, token, webApp);
    assert.equal(response.status, 404);
    assert.equal((await call(server, 'GET', '/register/anything', { token })).status, 404);
    assert.equal((await server.gatehouse.services.clients.list()).length, before, 'no client was registered');
  } finally {
    await server.close();
  }
});

test('registered clients unused for GATEHOUSE_DCR_UNUSED_CLIENT_TTL are deleted (and audited); used ones stay', async () => {
  const clock = createTestClock();
  const day = 86_400;
  const server = await startServer({ clock, env: { ...DCR_ENV, GATEHOUSE_DCR_UNUSED_CLIENT_TTL: String(30 * day) } });
  try {
    const api = await server.gatehouse.services.apis.create({ identifier: `https://sweep-${Date.now()}.example.test`, name: 'Sweep', scopes: [{ name: 'read', description: 'read' }] });
    const { token } = await mint(server, { grantTypes: ['client_credentials'], scopes: ['read'], resources: [api.identifier], allowConfidential: true }, 5, 365 * day);
    const machine = { grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic' };
    const idle = (await register(server, token, { ...machine, client_name: 'idle' })).body;
    const busy = (await register(server, token, { ...machine, client_name: 'busy' })).body;
    const operatorClient = await server.gatehouse.services.clients.create({ name: 'operator', type: 'confidential', grantTypes: ['client_credentials'], resources: [api.identifier], scopes: ['read'] });

    clock.advance(20 * day);
    const usedAt = clock.now();
    const used = await tokenRequest(server, { grant_type: 'client_credentials', scope: 'read' }, { id: String(busy.client_id), secret: String(busy.client_secret) });
    assert.equal(used.status, 200);
    // The last-use write is off the request path: wait for the write itself.
    const { dynamicRegistration } = server.gatehouse.storage.queries;
    await waitFor('the last use of the busy client to be recorded', async () => ((await dynamicRegistration.findDynamicClient(String(busy.client_id)))?.lastUsedAt.getTime() ?? 0) >= usedAt.getTime());
    assert.deepEqual(await server.gatehouse.services.registration.sweepUnusedClients(), [], 'nothing is 30 days idle yet');

    clock.advance(15 * day); // idle: 35 days since registration; busy: 15 days since its last token
    // (in services mode the file's other servers share this database: their idle clients go too)
    const swept = await server.gatehouse.services.registration.sweepUnusedClients();
    assert.ok(swept.includes(String(idle.client_id)) && !swept.includes(String(busy.client_id)), JSON.stringify(swept));
    assert.equal(await server.gatehouse.services.clients.findMetadata(String(idle.client_id)), undefined);
    assert.ok(await server.gatehouse.services.clients.findMetadata(String(busy.client_id)));
    assert.ok(await server.gatehouse.services.clients.findMetadata(operatorClient.client.clientId), 'operator-created clients never expire');
    const gone = await tokenRequest(server, { grant_type: 'client_credentials', scope: 'read' }, { id: String(idle.client_id), secret: String(idle.client_secret) });
    assert.equal(gone.status, 401);
    assert.equal((await call(server, 'GET', `/register/${idle.client_id}`, { token: String(idle.registration_access_token) })).status, 401);
    const again = await server.gatehouse.jobs.runOnce('clients.sweep-unused');
    assert.deepEqual([again.outcome, again.outcome === 'success' && again.rows], ['success', 0], 'the scheduled sweep, run again, deletes nothing more');
    const events = await auditEvents(server, 'dcr.client.expired');
    assert.deepEqual(events.map((event) => event.subject).sort(), [...swept].sort());
  } finally {
    await server.close();
  }
});
