import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN_READ_SCOPE, ADMIN_WRITE_SCOPE } from '../../../src/admin/index.ts';
import { adminToken, openAdminApi } from '../../harness/admin-api.ts';
import {
  authorizationCodeFlow,
  createApi,
  createMachineClient,
  createUser,
  createWebClient,
  discover,
  tokenRequest,
  uniqueEmail,
} from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';

let server: TestServer;
let admin: Awaited<ReturnType<typeof openAdminApi>>;
let writer: string;
let reader: string;
before(async () => {
  server = await startServer({ env: { GATEHOUSE_DCR_ENABLED: 'true' } });
  admin = await openAdminApi(server);
  writer = await adminToken(server, [ADMIN_READ_SCOPE, ADMIN_WRITE_SCOPE]);
  reader = await adminToken(server, [ADMIN_READ_SCOPE]);
});
after(() => server.close());

const withDummyParams = (template: string) => template.replaceAll(/\{[^}]+\}/g, 'unknown-id');

test('every admin endpoint refuses no token (401), a token for another API (401), a token without an admin scope (403)', async () => {
  const unscoped = await adminToken(server, []);
  const otherApi = await createApi(server, ['read']);
  const machine = await createMachineClient(server, otherApi);
  const foreign = String(
    (await tokenRequest(server, { grant_type: 'client_credentials', scope: 'read' }, { id: machine.clientId, secret: machine.clientSecret })).body
      .access_token,
  );
  assert.ok(admin.operations.length >= 20, 'the document lists every endpoint');
  for (const { method, template } of admin.operations) {
    const path = withDummyParams(template);
    const anonymous = await admin.call(method, path);
    assert.equal(anonymous.status, 401, `${method} ${template} without a token`);
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer realm="gatehouse-admin"/);
    assert.equal((await admin.call(method, path, { token: foreign })).status, 401, `${method} ${template} with another API's token`);
    assert.equal((await admin.call(method, path, { token: unscoped })).status, 403, `${method} ${template} with no admin scope`);
    const readOnly = await admin.call(method, path, { token: reader });
    if (method === 'get') assert.notEqual(readOnly.status, 403, `${method} ${template} is a read`);
    else assert.equal(readOnly.status, 403, `${method} ${template} needs admin:write`);
  }
});

test('users: create, read, page through, filter by email, refuse a weak password and a duplicate, delete', async () => {
  const email = uniqueEmail('admin-api');
  const createdUser = await admin.call('POST', '/users', { token: writer, body: { email, password: 'correct horse battery staple 42', name: 'Ada' } });
  assert.equal(createdUser.status, 201);
  const user = createdUser.body as { id: string; email: string; emailVerified: boolean };
  assert.deepEqual([user.email, user.emailVerified], [email, false]);
  await createUser(server);

  assert.equal((await admin.call('GET', `/users/${user.id}`, { token: reader })).status, 200);
  const byEmail = await admin.call('GET', `/users?email=${encodeURIComponent(email)}`, { token: reader });
  assert.deepEqual((byEmail.body as { items: Array<{ id: string }> }).items.map((u) => u.id), [user.id]);

  const seen = new Set<string>();
  let cursor: string | null = null;
  do {
    const page = await admin.call('GET', `/users?limit=1${cursor ? `&cursor=${cursor}` : ''}`, { token: reader });
    const { items, nextCursor } = page.body as { items: Array<{ id: string }>; nextCursor: string | null };
    assert.ok(items.length <= 1);
    for (const item of items) seen.add(item.id);
    cursor = nextCursor;
  } while (cursor);
  assert.ok(seen.has(user.id) && seen.size >= 2, 'paging with limit=1 reaches every user');

  const weak = await admin.call('POST', '/users', { token: writer, body: { email: uniqueEmail(), password: 'short' } });
  assert.equal(weak.status, 400);
  assert.ok(((weak.body as { errors: string[] }).errors ?? []).some((e) => /12 characters/.test(e)));
  assert.equal((await admin.call('POST', '/users', { token: writer, body: { email, password: 'another long passphrase 77' } })).status, 409);

  assert.equal((await admin.call('DELETE', `/users/${user.id}`, { token: writer })).status, 204);
  assert.equal((await admin.call('GET', `/users/${user.id}`, { token: reader })).status, 404);
  assert.equal((await admin.call('DELETE', `/users/${user.id}`, { token: writer })).status, 404);
});

test('users: rename, disable and enable (PATCH), search by text and role; a password link for an unknown user is a 404', async () => {
  const user = await createUser(server);
  const renamed = await admin.call('PATCH', `/users/${user.id}`, { token: writer, body: { name: 'Grace Hopper' } });
  assert.deepEqual([renamed.status, (renamed.body as { name: string }).name], [200, 'Grace Hopper']);
  const disabled = await admin.call('PATCH', `/users/${user.id}`, { token: writer, body: { disabled: true } });
  assert.equal((disabled.body as { disabled: boolean }).disabled, true);
  const found = await admin.call('GET', '/users?q=grace%20hop', { token: reader });
  assert.deepEqual((found.body as { items: Array<{ id: string; disabled: boolean }> }).items.map((u) => [u.id, u.disabled]), [[user.id, true]]);
  assert.equal(((await admin.call('GET', `/users/${user.id}`, { token: reader })).body as { disabled: boolean }).disabled, true);
  const enabled = await admin.call('PATCH', `/users/${user.id}`, { token: writer, body: { disabled: false } });
  assert.equal((enabled.body as { disabled: boolean }).disabled, false);
  assert.equal((await admin.call('PATCH', `/users/${user.id}`, { token: writer, rawBody: '{"disabled":"yes"}' })).status, 400);
  assert.equal((await admin.call('PATCH', '/users/no-such-user', { token: writer, body: { disabled: true } })).status, 404);
  const types = ((await admin.call('GET', `/audit-events?subject=${user.id}`, { token: reader })).body as { items: Array<{ type: string }> }).items.map((e) => e.type);
  assert.deepEqual(types.filter((type) => type.startsWith('user.')), ['user.enabled', 'user.logout_everywhere', 'user.disabled', 'user.updated']);
  const noRole = await admin.call('GET', '/users?role=no-such-role', { token: reader });
  assert.deepEqual((noRole.body as { items: unknown[] }).items, []);
  assert.equal((await admin.call('POST', '/users/no-such-user/password-link', { token: writer })).status, 404);
});

test('sessions and grants: list, revoke one grant (its refresh token dies), end everything, reset MFA, no passkeys', async () => {
  const user = await createUser(server);
  const client = await createWebClient(server);
  const config = await discover(server, client);
  const { tokens } = await authorizationCodeFlow(server, config, user);

  const sessions = await admin.call('GET', `/users/${user.id}/sessions`, { token: reader });
  assert.equal((sessions.body as { items: unknown[] }).items.length, 1);
  const grants = (await admin.call('GET', `/users/${user.id}/grants`, { token: reader })).body as { items: Array<{ grantId: string; clientId: string }> };
  assert.deepEqual(grants.items.map((g) => g.clientId), [client.clientId]);

  assert.equal((await admin.call('DELETE', `/users/${user.id}/grants/${grants.items[0]?.grantId}`, { token: writer })).status, 204);
  const refresh = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: String(tokens.refresh_token) }, { id: client.clientId, secret: client.clientSecret });
  assert.equal(refresh.body.error, 'invalid_grant', 'the revoked grant’s refresh token no longer works');
  assert.equal((await admin.call('DELETE', `/users/${user.id}/grants/${grants.items[0]?.grantId}`, { token: writer })).status, 404);

  const ended = await admin.call('DELETE', `/users/${user.id}/sessions`, { token: writer });
  assert.deepEqual(ended.body, { sessionsEnded: 1, grantsRevoked: 0 });
  assert.equal(((await admin.call('GET', `/users/${user.id}/sessions`, { token: reader })).body as { items: unknown[] }).items.length, 0);
  const reset = await admin.call('DELETE', `/users/${user.id}/mfa`, { token: writer });
  assert.deepEqual([reset.status, reset.body], [200, { removed: false }], 'the answer says there was no second factor to remove');
  assert.equal((await admin.call('DELETE', '/users/no-such-user/mfa', { token: writer })).status, 404);
  // Passkeys enrolled and removed: test/protocol/admin/admin-passkeys.test.ts.
  assert.deepEqual((await admin.call('GET', `/users/${user.id}/passkeys`, { token: reader })).body, { items: [] });
  assert.equal((await admin.call('DELETE', `/users/${user.id}/passkeys/no-such-passkey`, { token: writer })).status, 404);
});

test('clients: create, read, update, rotate the secret (both work during the overlap), delete', async () => {
  const api = await createApi(server, ['read']);
  const settings = { name: 'Billing', type: 'confidential', grantTypes: ['client_credentials'], resources: [api], scopes: ['read'] };
  const createdClient = await admin.call('POST', '/clients', { token: writer, body: settings });
  assert.equal(createdClient.status, 201);
  const { client, clientSecret } = createdClient.body as { client: { clientId: string }; clientSecret: string };
  const token = (secret: string) => tokenRequest(server, { grant_type: 'client_credentials', scope: 'read' }, { id: client.clientId, secret });
  assert.equal((await token(clientSecret)).status, 200);

  const updated = await admin.call('PUT', `/clients/${client.clientId}`, { token: writer, body: { ...settings, name: 'Billing v2', accessTokenTtl: 300 } });
  assert.equal((updated.body as { client: { name: string } }).client.name, 'Billing v2');
  assert.equal(((await token(clientSecret)).body as { expires_in: number }).expires_in, 300);

  const rotated = await admin.call('POST', `/clients/${client.clientId}/secret`, { token: writer, body: { overlapSeconds: 600 } });
  const { clientSecret: newSecret } = rotated.body as { clientSecret: string };
  assert.equal((await token(clientSecret)).status, 200);
  assert.equal((await token(newSecret)).status, 200);
  assert.ok(((await admin.call('GET', `/clients/${client.clientId}`, { token: reader })).body as { previousSecretExpiresAt: number }).previousSecretExpiresAt);
  assert.ok(((await admin.call('GET', '/clients?limit=200', { token: reader })).body as { items: Array<{ clientId: string }> }).items.some((c) => c.clientId === client.clientId));

  const bad = await admin.call('POST', '/clients', { token: writer, body: { ...settings, type: 'public', grantTypes: ['authorization_code'], redirectUris: ['http://evil.example/cb'] } });
  assert.equal(bad.status, 400);
  assert.equal((await admin.call('DELETE', `/clients/${client.clientId}`, { token: writer })).status, 204);
  assert.equal((await token(newSecret)).status, 401);
  assert.equal((await admin.call('GET', `/clients/${client.clientId}`, { token: reader })).status, 404);
});

test('APIs: create, read by URL-encoded identifier, list, refuse a duplicate, change claims (never PII)', async () => {
  const identifier = `https://admin-created-${Date.now()}.example.test`;
  const body = { identifier, name: 'Orders', scopes: [{ name: 'orders:read', description: 'Read orders' }], accessTokenTtl: 600 };
  assert.equal((await admin.call('POST', '/apis', { token: writer, body })).status, 201);
  const found = await admin.call('GET', `/apis/${encodeURIComponent(identifier)}`, { token: reader });
  assert.equal((found.body as { name: string }).name, 'Orders');
  assert.equal((await admin.call('POST', '/apis', { token: writer, body })).status, 409);
  assert.equal((await admin.call('GET', `/apis/${encodeURIComponent('https://none.example.test')}`, { token: reader })).status, 404);
  assert.ok(((await admin.call('GET', '/apis?limit=200', { token: reader })).body as { items: Array<{ identifier: string }> }).items.some((a) => a.identifier === identifier));
  const patched = await admin.call('PATCH', `/apis/${encodeURIComponent(identifier)}`, { token: writer, body: { claims: ['roles'], accessTokenTtl: 300 } });
  assert.deepEqual([(patched.body as { claims: string[] }).claims, (patched.body as { accessTokenTtl: number }).accessTokenTtl], [['roles'], 300]);
  const pii = await admin.call('PATCH', `/apis/${encodeURIComponent(identifier)}`, { token: writer, body: { claims: ['email'] } });
  assert.equal(pii.status, 400, 'personal data never goes into access tokens');
});

test('keys: list, rotate (a successor is published), revoking an unknown kid is a 404', async () => {
  const before = (await admin.call('GET', '/keys', { token: reader })).body as { items: Array<{ kid: string }> };
  const rotated = await admin.call('POST', '/keys/rotate', { token: writer });
  assert.equal(rotated.status, 201);
  const createdKids = (rotated.body as { created: string[] }).created;
  assert.ok(createdKids.length >= 1);
  const afterRotation = (await admin.call('GET', '/keys', { token: reader })).body as { items: Array<{ kid: string; state: string }> };
  assert.equal(afterRotation.items.length, before.items.length + createdKids.length);
  assert.ok(createdKids.every((kid) => afterRotation.items.some((key) => key.kid === kid)));
  assert.deepEqual(
    (rotated.body as { keys: Array<{ kid: string; revokedAt: null }> }).keys.map((key) => [key.kid, key.revokedAt]),
    createdKids.map((kid) => [kid, null]),
    'the answer describes the new keys',
  );
  assert.equal((await admin.call('POST', '/keys/no-such-kid/revoke', { token: writer })).status, 404);
});

test('audit events: the admin API’s own changes are queryable by type, newest first, with cursor paging', async () => {
  const api = await createApi(server, ['read']);
  for (let i = 0; i < 3; i += 1) {
    await admin.call('POST', '/clients', { token: writer, body: { name: `audited ${i}`, type: 'confidential', grantTypes: ['client_credentials'], resources: [api], scopes: ['read'] } });
  }
  const first = await admin.call('GET', '/audit-events?type=client.created&limit=2', { token: reader });
  const page = first.body as { items: Array<{ id: string; type: string }>; nextCursor: string };
  assert.equal(page.items.length, 2);
  assert.ok(page.items.every((event) => event.type === 'client.created'));
  assert.ok(Number(page.items[0]?.id) > Number(page.items[1]?.id), 'newest first');
  const second = (await admin.call('GET', `/audit-events?type=client.created&limit=2&cursor=${page.nextCursor}`, { token: reader })).body as { items: Array<{ id: string }> };
  assert.ok(second.items.length >= 1 && Number(second.items[0]?.id) < Number(page.items[1]?.id), 'the next page continues below');
});

test('audit trail: verify walks the chain (and is itself audited), prune keeps the configured retention, events by user email', async () => {
  const email = uniqueEmail('audited');
  const created = await admin.call('POST', '/users', { token: writer, body: { email, password: 'correct horse battery staple 42' } });
  const verified = await admin.call('POST', '/audit-events/verification', { token: writer });
  assert.equal(verified.status, 200);
  assert.equal((verified.body as { ok: boolean; brokenAt: string | null }).ok, true);
  assert.equal((await admin.call('POST', '/audit-events/verification', { token: reader })).status, 403, 'a write: it appends to the trail');
  const pruned = await admin.call('POST', '/audit-events/pruning', { token: writer, body: {} });
  assert.deepEqual(pruned.body, { removed: 0, days: 365 }, 'the default is GATEHOUSE_AUDIT_RETENTION_DAYS');
  assert.equal((await admin.call('POST', '/audit-events/pruning', { token: writer, rawBody: '{"days":0}' })).status, 400);
  const byUser = (await admin.call('GET', `/audit-events?user=${encodeURIComponent(email.toUpperCase())}`, { token: reader })).body as {
    items: Array<{ type: string; subject: string }>;
  };
  assert.deepEqual(
    byUser.items.map((event) => [event.type, event.subject]),
    [['user.created', (created.body as { id: string }).id]],
    'an email finds the events about that account (by its id)',
  );
  const events = (await admin.call('GET', '/audit-events?type=audit.verified&limit=1', { token: reader })).body as { items: Array<{ outcome: string }> };
  assert.deepEqual(events.items.map((event) => event.outcome), ['success']);
});

test('hostile input: bad JSON 400, wrong media type 415, oversized 413, unknown path 404, wrong method 405 — all problem documents', async () => {
  const raw = async (method: string, path: string, init: RequestInit) => {
    const response = await fetch(`${server.url}/admin/v1${path}`, { method, ...init, headers: { authorization: `Bearer ${writer}`, ...init.headers } });
    const text = await response.text();
    assert.equal(response.headers.get('content-type')?.split(';')[0], 'application/problem+json', `${method} ${path}: ${text}`);
    assert.doesNotMatch(text, /\bat [\w.]+ \(/, 'no stack trace');
    assert.equal(response.headers.get('cache-control'), 'no-store', `${method} ${path}: never cached`);
    return { status: response.status, body: JSON.parse(text) as { status: number } };
  };
  assert.equal((await admin.call('POST', '/users', { token: writer, rawBody: '{"email": ' })).status, 400);
  assert.equal((await raw('POST', '/users', { body: '{"email": ', headers: { 'content-type': 'application/json' } })).status, 400);
  assert.equal((await raw('POST', '/users', { body: 'email=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status, 415);
  assert.equal((await admin.call('POST', '/users', { token: writer, rawBody: 'email=a', contentType: 'application/x-www-form-urlencoded' })).status, 415);
  assert.equal((await admin.call('POST', '/users', { token: writer, rawBody: JSON.stringify({ email: 'x'.repeat(200_000) }) })).status, 413);
  assert.equal((await admin.call('POST', '/users', { token: writer, rawBody: '[1,2,3]' })).status, 400);
  assert.equal((await admin.call('GET', '/users?limit=100000', { token: reader })).status, 400);
  assert.equal((await raw('GET', '/no-such-thing', {})).status, 404);
  const wrongMethod = await raw('PATCH', '/users', {});
  assert.equal(wrongMethod.status, 405);
});

test('roles and groups: create, grant to a user directly and through a group, see it in the user, revoke, delete', async () => {
  const user = await createUser(server);
  const api = await createApi(server, ['read']);
  const roleName = `auditor-${Date.now()}`;
  const roleCreated = await admin.call('POST', '/roles', { token: writer, body: { name: roleName, description: 'Reads the books', api } });
  assert.equal(roleCreated.status, 201);
  assert.equal((await admin.call('POST', '/roles', { token: writer, body: { name: roleName } })).status, 409);
  assert.equal((await admin.call('POST', '/roles', { token: writer, body: { name: 'bad name with spaces' } })).status, 400);
  assert.equal((await admin.call('GET', `/roles/${roleName}`, { token: reader })).status, 200);
  const byApi = (await admin.call('GET', `/roles?api=${encodeURIComponent(api)}`, { token: reader })).body as { items: Array<{ name: string }> };
  assert.deepEqual(byApi.items.map((r) => r.name), [roleName]);

  const holder = await admin.call('POST', '/users', { token: writer, body: { email: uniqueEmail(), password: 'correct horse battery staple 42', roles: [roleName] } });
  assert.deepEqual([holder.status, (holder.body as { roles: string[] }).roles], [201, [roleName]], 'a user can be created holding roles');
  const stray = uniqueEmail();
  const refused = await admin.call('POST', '/users', { token: writer, body: { email: stray, password: 'correct horse battery staple 42', roles: ['no-such-role'] } });
  assert.equal(refused.status, 400);
  assert.deepEqual(((await admin.call('GET', `/users?email=${encodeURIComponent(stray)}`, { token: reader })).body as { items: unknown[] }).items, [], 'a missing role creates nothing');

  const groupName = `finance-${Date.now()}`;
  assert.equal((await admin.call('POST', '/groups', { token: writer, body: { name: groupName } })).status, 201);
  assert.equal((await admin.call('POST', `/roles/${roleName}/grants`, { token: writer, body: { kind: 'group', id: groupName } })).status, 204);
  assert.equal((await admin.call('PUT', `/groups/${groupName}/members/${user.id}`, { token: writer })).status, 204);
  assert.deepEqual(((await admin.call('GET', `/groups/${groupName}/members`, { token: reader })).body as { items: string[] }).items, [user.id]);
  const roles = async () => ((await admin.call('GET', `/users/${user.id}`, { token: reader })).body as { roles: string[] }).roles;
  assert.deepEqual(await roles(), [roleName], 'held through the group');

  assert.equal((await admin.call('POST', `/roles/${roleName}/grants`, { token: writer, body: { kind: 'user', id: user.id } })).status, 204);
  assert.equal((await admin.call('POST', `/roles/${roleName}/grants`, { token: writer, body: { kind: 'user', id: 'no-such-user' } })).status, 404);
  assert.equal((await admin.call('DELETE', `/groups/${groupName}/members/${user.id}`, { token: writer })).status, 204);
  assert.deepEqual(await roles(), [roleName], 'still held directly');
  assert.equal((await admin.call('DELETE', `/roles/${roleName}/grants/user/${user.id}`, { token: writer })).status, 204);
  assert.deepEqual(await roles(), []);
  assert.equal((await admin.call('DELETE', `/roles/${roleName}/grants/user/${user.id}`, { token: writer })).status, 404);

  assert.equal((await admin.call('PUT', `/users/${user.id}/org`, { token: writer, body: { orgId: 'org_42' } })).status, 204);
  const inOrg = (await admin.call('GET', '/users?org=org_42', { token: reader })).body as { items: Array<{ id: string; orgId: string | null }> };
  assert.deepEqual(
    inOrg.items.map((u) => [u.id, u.orgId]),
    [[user.id, 'org_42']],
    'the org filter finds the user of that organisation only',
  );
  assert.ok(((await admin.call('GET', '/groups?limit=200', { token: reader })).body as { items: Array<{ name: string }> }).items.some((g) => g.name === groupName));
  assert.equal((await admin.call('DELETE', `/groups/${groupName}`, { token: writer })).status, 204);
  assert.equal((await admin.call('DELETE', `/roles/${roleName}`, { token: writer })).status, 204);
  assert.equal((await admin.call('GET', `/roles/${roleName}`, { token: reader })).status, 404);
});

test('roles and groups page with an opaque cursor that reaches every item', async () => {
  const prefix = `page-${Date.now()}`;
  for (const n of [1, 2, 3]) await admin.call('POST', '/roles', { token: writer, body: { name: `${prefix}-${n}` } });
  const names: string[] = [];
  let cursor: string | null = null;
  do {
    const page = (await admin.call('GET', `/roles?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: reader })).body as {
      items: Array<{ name: string }>;
      nextCursor: string | null;
    };
    names.push(...page.items.map((r) => r.name));
    cursor = page.nextCursor;
  } while (cursor);
  assert.deepEqual(names.filter((n) => n.startsWith(prefix)), [`${prefix}-1`, `${prefix}-2`, `${prefix}-3`]);
});

test('initial access tokens: mint (shown once), a client registers with it, the use is counted, revoke stops it', async () => {
  const minted = await admin.call('POST', '/initial-access-tokens', {
    token: writer,
    body: { expiresIn: 3600, quota: 2, policy: { redirectUriHosts: ['partner.example.test'] }, description: 'Partner onboarding' },
  });
  assert.equal(minted.status, 201);
  const { id, token } = minted.body as { id: string; token: string };
  const register = () =>
    fetch(`${server.url}/register`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Partner app', redirect_uris: ['https://partner.example.test/cb'] }),
    });
  assert.equal((await register()).status, 201);
  const listed = (await admin.call('GET', '/initial-access-tokens', { token: reader })).body as { items: Array<{ id: string; used: number; state: string }> };
  const entry = listed.items.find((item) => item.id === id);
  assert.deepEqual([entry?.used, entry?.state], [1, 'active']);
  assert.ok(!JSON.stringify(listed).includes(token), 'the token is never shown again');

  assert.equal((await admin.call('DELETE', `/initial-access-tokens/${id}`, { token: writer })).status, 204);
  assert.equal((await register()).status, 401, 'a revoked token registers nothing');
  assert.equal((await admin.call('DELETE', '/initial-access-tokens/unknown', { token: writer })).status, 404);
  assert.equal((await admin.call('POST', '/initial-access-tokens', { token: writer, body: { expiresIn: 10, quota: 0 } })).status, 400);
});

test('jobs: listed with scope, schedule and last run; one runs once on request and reports what it did; unknown 404, malformed 400', async () => {
  type JobItem = { name: string; scope: string; scheduled: boolean; lastRun: { outcome: string; rows: number } | null };
  const list = async () => ((await admin.call('GET', '/jobs', { token: reader })).body as { items: JobItem[] }).items;
  const before = await list();
  assert.deepEqual(before.map((job) => job.name).sort(), ['audit.prune', 'clients.sweep-unused', 'keys.refresh', 'tokens.delete-expired', 'webhooks.deliver']);
  const byName = (items: JobItem[], name: string) => items.find((job) => job.name === name);
  assert.deepEqual([byName(before, 'keys.refresh')?.scope, byName(before, 'keys.refresh')?.scheduled], ['instance', true], 'every instance refreshes its keys');
  assert.deepEqual([byName(before, 'tokens.delete-expired')?.scope, byName(before, 'tokens.delete-expired')?.scheduled], ['cluster', false], 'GATEHOUSE_JOBS_ENABLED=false in tests');

  const ran = await admin.call('POST', '/jobs/tokens.delete-expired/run', { token: writer });
  assert.equal(ran.status, 200);
  const report = ran.body as { job: string; outcome: string; rows: number; details: { oidcPayloads: { batches: number } } };
  assert.deepEqual([report.job, report.outcome, typeof report.rows], ['tokens.delete-expired', 'success', 'number']);
  assert.ok(report.details.oidcPayloads.batches >= 1);
  assert.deepEqual(byName(await list(), 'tokens.delete-expired')?.lastRun?.outcome, 'success', 'the run is recorded');

  assert.equal((await admin.call('POST', '/jobs/no.such-job/run', { token: writer })).status, 404);
  assert.equal((await admin.call('POST', '/jobs/DROP TABLE/run', { token: writer })).status, 400);
});

test('configuration-as-code operations: a chosen client id and supplied secret (never echoed), a secret check, role and group descriptions, API delete (not the built-in one)', async () => {
  const secret = 'supplied-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
  const clientId = `chosen-${Date.now()}`;
  const createdClient = await admin.call('POST', '/clients', {
    token: writer,
    body: { clientId, clientSecret: secret, name: 'Chosen', type: 'confidential', grantTypes: ['client_credentials'] },
  });
  assert.equal(createdClient.status, 201);
  assert.equal((createdClient.body as { clientSecret?: string }).clientSecret, undefined, 'a supplied secret is not echoed back');
  assert.equal((await tokenRequest(server, { grant_type: 'client_credentials' }, { id: clientId, secret })).status, 200);
  const check = async (clientSecret: string) =>
    ((await admin.call('POST', `/clients/${clientId}/secret/check`, { token: writer, body: { clientSecret } })).body as { matches: boolean }).matches;
  assert.deepEqual([await check(secret), await check(`${secret}x`)], [true, false]);
  const weak = await admin.call('POST', '/clients', {
    token: writer,
    rawBody: JSON.stringify({ clientSecret: 'short', name: 'Weak', type: 'confidential', grantTypes: ['client_credentials'] }),
  });
  assert.equal(weak.status, 400, 'a supplied secret must be as long as a generated one');

  const role = `described-${Date.now()}`;
  assert.equal((await admin.call('POST', '/roles', { token: writer, body: { name: role } })).status, 201);
  const updatedRole = await admin.call('PATCH', `/roles/${role}`, { token: writer, body: { description: 'Now described' } });
  assert.deepEqual([updatedRole.status, (updatedRole.body as { description: string }).description], [200, 'Now described']);
  assert.equal((await admin.call('POST', '/groups', { token: writer, body: { name: role } })).status, 201);
  const updatedGroup = await admin.call('PATCH', `/groups/${role}`, { token: writer, body: { description: 'A team' } });
  assert.deepEqual([updatedGroup.status, (updatedGroup.body as { description: string }).description], [200, 'A team']);
  assert.equal((await admin.call('PATCH', '/groups/no-such-group', { token: writer, body: { description: 'x' } })).status, 404);

  const api = await createApi(server, ['gone:read']);
  assert.equal((await admin.call('DELETE', `/apis/${encodeURIComponent(api)}`, { token: writer })).status, 204);
  assert.equal((await admin.call('GET', `/apis/${encodeURIComponent(api)}`, { token: reader })).status, 404);
  const builtIn = `${server.url}/admin/v1`;
  assert.equal((await admin.call('DELETE', `/apis/${encodeURIComponent(builtIn)}`, { token: writer })).status, 400, 'the admin API cannot be deleted');
});

test('identity providers: create (callback URL shown, secret sealed and never shown), list, update, refuse unsafe settings, delete', async () => {
  const body = { name: 'acme-admin', issuer: 'https://login.acme.example', clientId: 'gatehouse', clientSecret: 'upstream-secret-value', domains: ['Acme.example'], jit: true, groupRoles: { 'platform-admins': ['admin'] } };
  const created = await admin.call('POST', '/idps', { token: writer, body });
  assert.equal(created.status, 201);
  const idp = created.body as { callbackUrl: string; hasClientSecret: boolean; domains: string[] };
  assert.equal(idp.callbackUrl, `${server.url}/federation/acme-admin/callback`);
  assert.deepEqual([idp.hasClientSecret, idp.domains], [true, ['acme.example']]);
  assert.ok(!JSON.stringify(created.body).includes('upstream-secret-value'), 'the secret is never answered');
  const row = await server.gatehouse.storage.queries.upstreamProviders.find('acme-admin');
  assert.ok(row?.client_secret_sealed && !row.client_secret_sealed.includes('upstream-secret-value'), 'sealed at rest');
  assert.equal((await admin.call('POST', '/idps', { token: writer, body })).status, 409, 'a duplicate name');
  const unsafe = await admin.call('POST', '/idps', { token: writer, body: { ...body, name: 'open-jit', domains: [] } });
  assert.equal(unsafe.status, 400, 'JIT without allowed domains would let anyone at the upstream in');
  assert.equal((await admin.call('POST', '/idps', { token: writer, rawBody: JSON.stringify({ ...body, name: 'Bad Name' }) })).status, 400);
  assert.deepEqual(((await admin.call('GET', '/idps', { token: reader })).body as { items: Array<{ name: string }> }).items.map((i) => i.name), ['acme-admin']);
  const updated = await admin.call('PATCH', '/idps/acme-admin', { token: writer, body: { domains: ['acme.example', 'acme.test'], enabled: false } });
  assert.deepEqual([(updated.body as { domains: string[] }).domains, (updated.body as { enabled: boolean }).enabled], [['acme.example', 'acme.test'], false]);
  assert.equal((await admin.call('GET', '/idps/acme-admin', { token: reader })).status, 200);
  assert.equal((await admin.call('DELETE', '/idps/acme-admin', { token: writer })).status, 204);
  assert.equal((await admin.call('GET', '/idps/acme-admin', { token: reader })).status, 404);
});

test('webhooks: created with its secret once, listed, shown, changed, deleted; deliveries listed; redelivery of an unknown delivery 404 (delivery itself: test/protocol/webhooks/)', async () => {
  const created = await admin.call('POST', '/webhooks', { token: writer, body: { url: 'https://siem.example.test/hook', events: ['signin.blocked', 'key.revoked'] } });
  assert.equal(created.status, 201);
  const { webhook, secret } = created.body as { webhook: { id: string; events: string[] }; secret: string };
  assert.match(secret, /^whsec_/);
  assert.deepEqual(webhook.events, ['key.revoked', 'signin.blocked']);
  assert.equal((await admin.call('POST', '/webhooks', { token: reader, body: { url: 'https://siem.example.test/hook', events: ['*'] } })).status, 403);
  const listed = (await admin.call('GET', '/webhooks', { token: reader })).body as { items: Array<{ id: string }> };
  assert.ok(listed.items.some((item) => item.id === webhook.id));
  const shown = (await admin.call('GET', `/webhooks/${webhook.id}`, { token: reader })).body as Record<string, unknown>;
  assert.equal('secret' in shown || JSON.stringify(shown).includes(secret), false, 'the secret is never shown again');
  const rotated = await admin.call('PATCH', `/webhooks/${webhook.id}`, { token: writer, body: { events: ['*'], rotateSecret: true } });
  assert.equal(rotated.status, 200);
  const next = rotated.body as { webhook: { events: string[] }; secret: string };
  assert.deepEqual(next.webhook.events, ['*']);
  assert.notEqual(next.secret, secret);
  assert.equal((await admin.call('GET', `/webhook-deliveries?webhook=${webhook.id}&status=dead`, { token: reader })).status, 200);
  assert.equal((await admin.call('POST', '/webhook-deliveries/123456789/redelivery', { token: writer })).status, 404);
  assert.equal((await admin.call('DELETE', `/webhooks/${webhook.id}`, { token: writer })).status, 204);
  assert.equal((await admin.call('GET', `/webhooks/${webhook.id}`, { token: reader })).status, 404);
});

test('the test suite exercised every documented operation', () => {
  assert.deepEqual(admin.unexercised(), []);
});

test('deleting an API drops it from the clients that listed it: no dangling resource or scope, the others kept', async () => {
  const gone = await createApi(server, ['gone:read']);
  const kept = await createApi(server, ['kept:read']);
  const created = await admin.call('POST', '/clients', {
    token: writer,
    body: { name: 'Two APIs', type: 'confidential', grantTypes: ['client_credentials'], resources: [gone, kept], scopes: ['gone:read', 'kept:read'] },
  });
  assert.equal(created.status, 201);
  const { client: summary, clientSecret } = created.body as { client: { clientId: string }; clientSecret: string };
  const client = { clientId: summary.clientId, clientSecret };
  assert.equal((await admin.call('DELETE', `/apis/${encodeURIComponent(gone)}`, { token: writer })).status, 204);
  const listed = (await admin.call('GET', `/clients/${client.clientId}`, { token: reader })).body as { resources: string[]; scopes: string[] };
  assert.deepEqual(listed.resources, [kept]);
  assert.deepEqual(listed.scopes, ['kept:read']);
  const token = await tokenRequest(server, { grant_type: 'client_credentials', resource: kept, scope: 'kept:read' }, { id: client.clientId, secret: client.clientSecret });
  assert.equal(token.status, 200, 'the client still works for the API it keeps');
});
