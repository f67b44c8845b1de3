import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Conflict, NotFound, ValidationFailed } from '../../src/errors.ts';
import { createApi, createMachineClient, createUser } from '../harness/fixtures.ts';
import { startServer, type TestServer } from '../harness/server.ts';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

const tag = () => randomBytes(3).toString('hex');
const rowsFor = async (table: string, where: Record<string, string>) => (await server.gatehouse.storage.db(table).where(where)).length;

test('duplicates are conflicts, unknown roles, users, groups and APIs are not found, bad names fail validation', async () => {
  const { rbac } = server.gatehouse.services;
  const t = tag();
  const user = await createUser(server);
  await rbac.createRole({ name: `r-${t}` });
  await assert.rejects(rbac.createRole({ name: `r-${t}` }), Conflict);
  await assert.rejects(rbac.createRole({ name: 'has spaces' }), ValidationFailed);
  await assert.rejects(rbac.createRole({ name: `x-${t}`, api: 'https://unknown.example.test' }), NotFound);
  await assert.rejects(rbac.grant(`missing-${t}`, { kind: 'user', id: user.id }), NotFound);
  await assert.rejects(rbac.grant(`r-${t}`, { kind: 'user', id: 'no-such-user' }), NotFound);
  await assert.rejects(rbac.grant(`r-${t}`, { kind: 'group', id: `no-such-group-${t}` }), NotFound);
  await rbac.grant(`r-${t}`, { kind: 'user', id: user.id });
  await assert.rejects(rbac.grant(`r-${t}`, { kind: 'user', id: user.id }), Conflict);
  await assert.rejects(rbac.revoke(`r-${t}`, { kind: 'client', id: 'nobody' }), NotFound);
  await rbac.createGroup({ name: `g-${t}` });
  await assert.rejects(rbac.createGroup({ name: `g-${t}` }), Conflict);
  await rbac.addMember(`g-${t}`, user.id);
  await assert.rejects(rbac.addMember(`g-${t}`, user.id), Conflict);
  await assert.rejects(rbac.addMember(`g-${t}`, 'no-such-user'), NotFound);
  await assert.rejects(rbac.removeMember(`nope-${t}`, user.id), NotFound);
  assert.deepEqual(await rbac.groupsOf(user.id), [`g-${t}`]);
});

test('every change is audited with who made it', async () => {
  const { rbac, audit } = server.gatehouse.services;
  const t = tag();
  await rbac.createRole({ name: `audited-${t}` }, { actor: 'admin-1' });
  await rbac.deleteRole(`audited-${t}`, { actor: 'admin-1' });
  await audit.flush();
  const events = await server.gatehouse.storage.db('audit_events').where({ subject: `audited-${t}` }).orderBy('id');
  assert.deepEqual(
    events.map((event: { type: string; actor: string }) => [event.type, event.actor]),
    [
      ['role.created', 'admin-1'],
      ['role.deleted', 'admin-1'],
    ],
  );
});

test('roles and groups list in pages by name, optionally only one API’s roles', async () => {
  const { rbac } = server.gatehouse.services;
  const api = await createApi(server);
  const t = tag();
  for (const n of [1, 2, 3, 4, 5]) await rbac.createRole({ name: `page-${t}-${n}`, api });
  const first = await rbac.listRoles({ api, limit: 2 });
  assert.deepEqual(first.items.map((r) => r.name), [`page-${t}-1`, `page-${t}-2`]);
  const second = await rbac.listRoles({ api, limit: 2, after: first.next });
  const third = await rbac.listRoles({ api, limit: 2, after: second.next });
  assert.deepEqual([...second.items, ...third.items].map((r) => r.name), [3, 4, 5].map((n) => `page-${t}-${n}`));
  assert.equal(third.next, undefined, 'the last page says so');
  assert.ok((await rbac.listRoles({ api: null, limit: 500 })).items.every((role) => role.api === null), 'api: null lists only global roles');
  await assert.rejects(rbac.listRoles({ limit: 0 }), ValidationFailed);
});

test('deleting a role, a group, a user or a client leaves no dangling grants or memberships', async () => {
  const { rbac, clients } = server.gatehouse.services;
  const { db } = server.gatehouse.storage;
  const api = await createApi(server);
  const t = tag();
  const user = await createUser(server);
  const client = await createMachineClient(server, api);
  await rbac.createRole({ name: `gone-${t}` });
  await rbac.createRole({ name: `kept-${t}` });
  await rbac.createGroup({ name: `grp-${t}` });
  for (const role of [`gone-${t}`, `kept-${t}`]) {
    await rbac.grant(role, { kind: 'user', id: user.id });
    await rbac.grant(role, { kind: 'client', id: client.clientId });
    await rbac.grant(role, { kind: 'group', id: `grp-${t}` });
  }
  await rbac.addMember(`grp-${t}`, user.id);

  await rbac.deleteRole(`gone-${t}`);
  for (const table of ['user_roles', 'client_roles', 'group_roles']) assert.equal(await rowsFor(table, { role_name: `gone-${t}` }), 0, table);
  assert.deepEqual(await rbac.effectiveRoles({ kind: 'user', id: user.id }, api), [`kept-${t}`]);
  await assert.rejects(rbac.deleteRole(`gone-${t}`), NotFound);

  await rbac.deleteGroup(`grp-${t}`);
  assert.equal(await rowsFor('group_roles', { group_name: `grp-${t}` }), 0);
  assert.equal(await rowsFor('group_members', { group_name: `grp-${t}` }), 0);

  await clients.delete(client.clientId);
  assert.equal(await rowsFor('client_roles', { client_id: client.clientId }), 0);
  await db('users').where({ id: user.id }).delete();
  assert.equal(await rowsFor('user_roles', { user_id: user.id }), 0);
});

test('an API may only ask for allow-listed, non-PII claims and an enabled signing algorithm; update changes them', async () => {
  const { apis } = server.gatehouse.services;
  const identifier = () => `https://claims-${tag()}.example.test`;
  await assert.rejects(apis.create({ identifier: identifier(), name: 'PII', scopes: [], claims: ['email'] }), (error: unknown) => {
    assert.ok(error instanceof ValidationFailed);
    assert.match(error.message, /email is personal data/);
    return true;
  });
  await assert.rejects(apis.create({ identifier: identifier(), name: 'Odd', scopes: [], claims: ['favourite_colour'] }), ValidationFailed);
  await assert.rejects(apis.create({ identifier: identifier(), name: 'ES', scopes: [], signingAlg: 'ES256' }), /GATEHOUSE_SIGNING_ALGS/);
  const id = identifier();
  const created = await apis.create({ identifier: id, name: 'Orders', scopes: [], claims: ['roles'] });
  assert.deepEqual({ claims: created.claims, alg: created.signingAlg }, { claims: ['roles'], alg: 'RS256' });
  const updated = await apis.update(id, { claims: ['roles', 'org_id'], accessTokenTtl: 600 });
  assert.deepEqual({ claims: updated.claims, ttl: updated.accessTokenTtl, name: updated.name }, { claims: ['roles', 'org_id'], ttl: 600, name: 'Orders' });
  assert.deepEqual((await apis.find(id))?.claims, ['roles', 'org_id'], 'the cache sees the change at once');
  await assert.rejects(apis.update(id, { claims: ['name'] }), ValidationFailed);
  await assert.rejects(apis.update('https://missing.example.test', { name: 'x' }), NotFound);
});
