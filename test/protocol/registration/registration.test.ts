/**
 * Dynamic client registration (RFC 7591) and management (RFC 7592), black-box over HTTP: the
 * initial access token gate, policies, quotas, software statements and the registration token.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { generateKeyPair } from 'jose';
import { createApi, REDIRECT_URI, tokenRequest } from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';
import { auditEvents, call, DCR_ENV, mint, register, statementIssuer } from './setup.ts';

let server: TestServer;
let issuer: Awaited<ReturnType<typeof statementIssuer>>;

before(async () => {
  issuer = await statementIssuer();
  server = await startServer({ env: { ...DCR_ENV, ...issuer.env } });
});
after(() => server.close());

const webApp = (extra: Record<string, unknown> = {}) => ({
  client_name: 'Registered App',
  redirect_uris: [REDIRECT_URI],
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code'],
  scope: 'openid email',
  ...extra,
});

test('discovery advertises the registration endpoint when registration is on', async () => {
  const discovery = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
  assert.equal(discovery.registration_endpoint, `${server.url}/register`);
});

test('without an initial access token (or with an unknown one) registration is a 401 invalid_token', async () => {
  for (const token of [undefined, 'not-a-real-token']) {
    const response = await register(server, token, webApp());
    assert.equal(response.status, 401);
    assert.equal(response.body.error, 'invalid_token');
    assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/);
  }
  assert.ok((await auditEvents(server, 'dcr.client.registration_refused')).length >= 2, 'refused attempts are audited');
});

test('with a token: registered per RFC 7591 §3.2.1, a third-party client, audited', async () => {
  const { token, id } = await mint(server);
  const response = await register(server, token, webApp());
  assert.equal(response.status, 201, JSON.stringify(response.body));
  assert.equal(response.headers.get('cache-control'), 'no-store');
  const body = response.body;
  assert.equal(typeof body.client_id, 'string');
  assert.equal(body.client_secret, undefined, 'a public client gets no secret');
  assert.equal(typeof body.client_id_issued_at, 'number');
  assert.equal(typeof body.registration_access_token, 'string');
  assert.equal(body.registration_client_uri, `${server.url}/register/${body.client_id}`);
  assert.deepEqual(body.redirect_uris, [REDIRECT_URI]);
  assert.deepEqual(body.grant_types, ['authorization_code']);
  assert.equal(body.token_endpoint_auth_method, 'none');
  assert.equal(body.scope, 'openid email');

  const stored = await server.gatehouse.services.clients.findMetadata(String(body.client_id));
  assert.notEqual(stored?.first_party, true, 'registered clients are never first-party');
  const [tokenRow] = (await server.gatehouse.services.registration.listInitialAccessTokens()).filter((t) => t.id === id);
  assert.equal(tokenRow?.used, 1);
  const events = await auditEvents(server, 'dcr.client.registered');
  assert.ok(events.some((event) => event.subject === body.client_id && event.actor === `iat:${id}`));
});

test('the policy is enforced: a disallowed scope, redirect host or grant type is refused with invalid_client_metadata', async () => {
  const { token } = await mint(server, { scopes: ['openid'] });
  const cases = [
    webApp({ scope: 'openid email' }),
    webApp({ redirect_uris: ['https://evil.example.test/cb'] }),
    webApp({ grant_types: ['client_credentials'], redirect_uris: [] }),
    webApp({ token_endpoint_auth_method: 'client_secret_basic' }),
  ];
  for (const body of cases) {
    const response = await register(server, token, body);
    assert.equal(response.status, 400, JSON.stringify(body));
    assert.equal(response.body.error, 'invalid_client_metadata', JSON.stringify(response.body));
    assert.equal(typeof response.body.error_description, 'string');
  }
  const malformed = await register(server, token, webApp({ redirect_uris: ['not a url'] }));
  assert.equal(malformed.status, 400);
  assert.equal(malformed.body.error, 'invalid_redirect_uri');
  const refusals = await auditEvents(server, 'dcr.client.registration_refused');
  assert.ok(refusals.some((event) => /scope email is not allowed/.test(JSON.stringify(event.details))), 'the reason is audited');
});

test('omitted scopes default to what the policy allows, never more', async () => {
  const { token } = await mint(server, { scopes: ['openid', 'profile'] });
  const { scope: _omitted, ...body } = webApp();
  const response = await register(server, token, body);
  assert.equal(response.status, 201);
  assert.equal(response.body.scope, 'openid profile');
});

test('the quota is enforced, and a refused registration does not consume it', async () => {
  const { token, id } = await mint(server, {}, 1);
  const refused = await register(server, token, webApp({ scope: 'openid phone' }));
  assert.equal(refused.status, 400);
  assert.equal((await register(server, token, webApp())).status, 201, 'the refused attempt left the quota intact');
  const over = await register(server, token, webApp());
  assert.equal(over.status, 401);
  assert.equal(over.body.error, 'invalid_token');
  const summary = (await server.gatehouse.services.registration.listInitialAccessTokens()).find((t) => t.id === id);
  assert.deepEqual({ used: summary?.used, state: summary?.state }, { used: 1, state: 'exhausted' });
});

test('quota of 1 with two parallel registrations: exactly one succeeds', async () => {
  const { token, id } = await mint(server, {}, 1);
  const results = await Promise.all([register(server, token, webApp()), register(server, token, webApp())]);
  assert.deepEqual(results.map((r) => r.status).sort(), [201, 401]);
  const summary = (await server.gatehouse.services.registration.listInitialAccessTokens()).find((t) => t.id === id);
  assert.equal(summary?.used, 1);
  const registered = await server.gatehouse.storage.db('dynamic_clients').where({ initial_access_token_id: id }).count<{ count: string }[]>('* as count');
  assert.equal(Number(registered[0]?.count), 1, 'no partial writes from the loser');
});

test('an expired or revoked initial access token is refused', async () => {
  const expired = await mint(server);
  await server.gatehouse.storage.db('initial_access_tokens').where({ id: expired.id }).update({ expires_at: new Date(Date.now() - 1000) });
  const response = await register(server, expired.token, webApp());
  assert.equal(response.status, 401);
  assert.equal(response.body.error, 'invalid_token');

  const revoked = await mint(server);
  assert.equal(await server.gatehouse.services.registration.revokeInitialAccessToken(revoked.id), true);
  assert.equal((await register(server, revoked.token, webApp())).status, 401);
  assert.equal((await auditEvents(server, 'dcr.iat.revoked')).some((event) => event.subject === revoked.id), true);
});

test('RFC 7592: read, update and delete with the registration access token', async () => {
  const { token } = await mint(server, { redirectUriHosts: ['127.0.0.1', '*.example.test'] });
  const created = (await register(server, token, webApp())).body;
  const clientId = String(created.client_id);
  const rat = String(created.registration_access_token);
  const path = `/register/${clientId}`;

  const read = await call(server, 'GET', path, { token: rat });
  assert.equal(read.status, 200);
  assert.equal(read.body.client_id, clientId);
  assert.equal(read.body.registration_access_token, undefined, 'the token is never shown again');
  assert.equal(read.body.client_id_issued_at, created.client_id_issued_at);

  for (const wrong of [undefined, 'wrong-token', String((await register(server, token, webApp())).body.registration_access_token)]) {
    const denied = await call(server, 'GET', path, wrong ? { token: wrong } : {});
    assert.equal(denied.status, 401, 'another client’s token is no good either');
    assert.match(denied.headers.get('www-authenticate') ?? '', /invalid_token/);
  }

  const updated = await call(server, 'PUT', path, {
    token: rat,
    body: { ...webApp(), client_id: clientId, client_name: 'Renamed', redirect_uris: ['https://app.example.test/cb'] },
  });
  assert.equal(updated.status, 200, JSON.stringify(updated.body));
  assert.equal(updated.body.client_name, 'Renamed');
  assert.deepEqual(updated.body.redirect_uris, ['https://app.example.test/cb']);
  assert.deepEqual((await server.gatehouse.services.clients.findMetadata(clientId))?.redirect_uris, ['https://app.example.test/cb']);

  const outsidePolicy = await call(server, 'PUT', path, { token: rat, body: { ...webApp(), client_id: clientId, redirect_uris: ['https://evil.test/cb'] } });
  assert.equal(outsidePolicy.status, 400);
  assert.equal(outsidePolicy.body.error, 'invalid_client_metadata', 'updates are checked against the policy the client registered under');
  const wrongId = await call(server, 'PUT', path, { token: rat, body: { ...webApp(), client_id: 'someone-else' } });
  assert.equal(wrongId.status, 400);

  const deleted = await call(server, 'DELETE', path, { token: rat });
  assert.equal(deleted.status, 204);
  assert.equal((await call(server, 'GET', path, { token: rat })).status, 401);
  assert.equal(await server.gatehouse.services.clients.findMetadata(clientId), undefined);
  for (const type of ['dcr.client.updated', 'dcr.client.deleted']) {
    assert.ok((await auditEvents(server, type)).some((event) => event.subject === clientId), `${type} is audited`);
  }
});

test('a confidential client: its secret is returned once, stored only as a digest, and works', async () => {
  const api = await createApi(server, ['read', 'write']);
  const { token } = await mint(server, { grantTypes: ['client_credentials'], scopes: ['read'], resources: [api], allowConfidential: true });
  const response = await register(server, token, { client_name: 'Service', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic' });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  const { client_id: clientId, client_secret: secret, registration_access_token: rat } = response.body as Record<string, string>;
  assert.ok(secret && rat);
  assert.equal(response.body.client_secret_expires_at, 0);

  const row = await server.gatehouse.storage.db('clients').where({ client_id: clientId }).first();
  const metadata = JSON.stringify(row.metadata);
  assert.match(String(row.metadata.client_secret), /^sha256:/);
  assert.ok(!metadata.includes(secret!), 'the secret is not stored');
  const tables = JSON.stringify([
    await server.gatehouse.storage.db('dynamic_clients').select('*'),
    await server.gatehouse.storage.db('initial_access_tokens').select('*'),
  ]);
  assert.ok(!tables.includes(rat!) && !tables.includes(token), 'bearer tokens are stored as digests only');

  const issued = await tokenRequest(server, { grant_type: 'client_credentials', scope: 'read', resource: api }, { id: clientId!, secret: secret! });
  assert.equal(issued.status, 200, JSON.stringify(issued.body));
  const tooMuch = await tokenRequest(server, { grant_type: 'client_credentials', scope: 'read write', resource: api }, { id: clientId!, secret: secret! });
  assert.ok(tooMuch.status === 400 || !String(tooMuch.body.scope ?? '').includes('write'), `only the scopes the policy allowed: ${JSON.stringify(tooMuch.body)}`);

  // RFC 7592 §2.2: a client_secret in an update must be the client's own.
  const wrongSecret = await call(server, 'PUT', `/register/${clientId}`, {
    token: rat!,
    body: { client_id: clientId, client_secret: 'guess', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic' },
  });
  assert.equal(wrongSecret.status, 400);
  const sameSecret = await call(server, 'PUT', `/register/${clientId}`, {
    token: rat!,
    body: { client_id: clientId, client_secret: secret, client_name: 'Service v2', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic' },
  });
  assert.equal(sameSecret.status, 200, JSON.stringify(sameSecret.body));
  assert.equal(sameSecret.body.client_secret, undefined, 'the secret is kept, not re-issued');
  assert.equal((await tokenRequest(server, { grant_type: 'client_credentials', scope: 'read', resource: api }, { id: clientId!, secret: secret! })).status, 200);
});

test('software statements: trusted and valid → its claims win; bad signature or untrusted issuer → refused', async () => {
  const { token } = await mint(server);
  const statement = await issuer.sign({ software_id: 'acme-notes', client_name: 'ACME Notes (signed)', redirect_uris: [REDIRECT_URI] });
  const accepted = await register(server, token, { ...webApp({ client_name: 'Whatever the body says' }), software_statement: statement });
  assert.equal(accepted.status, 201, JSON.stringify(accepted.body));
  assert.equal(accepted.body.client_name, 'ACME Notes (signed)', 'RFC 7591 §2.3: the statement takes precedence');
  assert.equal(accepted.body.software_statement, statement);

  const { privateKey: impostor } = await generateKeyPair('ES256');
  const forged = await issuer.sign({ client_name: 'Forged' }, impostor);
  const badSignature = await register(server, token, { ...webApp(), software_statement: forged });
  assert.equal(badSignature.status, 400);
  assert.equal(badSignature.body.error, 'invalid_software_statement');

  const untrusted = await issuer.sign({ client_name: 'Elsewhere' }, impostor, 'https://unknown-publisher.example.test');
  const unapproved = await register(server, token, { ...webApp(), software_statement: untrusted });
  assert.equal(unapproved.status, 400);
  assert.equal(unapproved.body.error, 'unapproved_software_statement');

  const garbage = await register(server, token, { ...webApp(), software_statement: 'not.a.jwt' });
  assert.equal(garbage.body.error, 'invalid_software_statement');
  const statementOutsidePolicy = await register(server, token, { ...webApp(), software_statement: await issuer.sign({ scope: 'openid phone' }) });
  assert.equal(statementOutsidePolicy.body.error, 'invalid_client_metadata', 'a signed statement is still held to the policy');
});

test('malformed requests: non-JSON → 400, oversized → 413, never a 5xx', async () => {
  const { token } = await mint(server);
  const form = await call(server, 'POST', '/register', { token, rawBody: 'client_name=x', contentType: 'application/x-www-form-urlencoded' });
  assert.equal(form.status, 400);
  assert.equal(form.body.error, 'invalid_client_metadata');
  const broken = await call(server, 'POST', '/register', { token, rawBody: '{"client_name": ' });
  assert.equal(broken.status, 400);
  const notObject = await call(server, 'POST', '/register', { token, rawBody: '"just a string"' });
  assert.equal(notObject.status, 400);
  const array = await call(server, 'POST', '/register', { token, rawBody: '[1,2]' });
  assert.equal(array.status, 400);
  const wrongTypes = await register(server, token, { redirect_uris: 'http://127.0.0.1:9/cb', grant_types: [1] });
  assert.equal(wrongTypes.status, 400);
  assert.equal(wrongTypes.body.error, 'invalid_client_metadata');
  const huge = await register(server, token, { ...webApp(), client_name: 'x'.repeat(64 * 1024) });
  assert.equal(huge.status, 413);
  const unknownClient = await call(server, 'PUT', '/register/nope', { token: 'x', body: {} });
  assert.equal(unknownClient.status, 401);
  const summary = await server.gatehouse.services.registration.listInitialAccessTokens();
  assert.ok(summary.every((t) => t.used <= t.quota));
});
