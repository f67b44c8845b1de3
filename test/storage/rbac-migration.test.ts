/** Migration 005 on a database that already holds users with the old `users.roles` column. */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { Knex } from 'knex';
import { migrations } from '../../migrations/index.ts';
import { openDatabase } from '../../src/storage/database.ts';
import { emptyDatabaseUrl, storageMode } from '../harness/mode.ts';

const source = (upTo: string): Knex.MigrationSource<{ name: string; module: Knex.Migration }> => ({
  getMigrations: async () => migrations.slice(0, migrations.findIndex((m) => m.name === upTo) + 1),
  getMigrationName: (migration) => migration.name,
  getMigration: async (migration) => migration.module,
});

let db: Knex | undefined;
after(() => db?.destroy());

test('existing users.roles become global roles granted to each user, then the column goes', async () => {
  db = storageMode() === 'services' ? await openDatabase({ kind: 'postgres', url: await emptyDatabaseUrl() }) : await openDatabase({ kind: 'pglite', dataDir: undefined });
  await db.migrate.latest({ migrationSource: source('004_email_tokens') });
  const user = (id: string, roles: unknown) => ({ id, email: `${id}@example.test`, password_hash: 'x', roles: JSON.stringify(roles) });
  await db('users').insert([user('u1', ['admin', 'employee']), user('u2', ['admin', 'admin']), user('u3', [])]);

  await db.migrate.latest({ migrationSource: source('005_roles_groups') });
  assert.deepEqual((await db('roles').orderBy('name')).map((r: { name: string; api: string | null }) => [r.name, r.api]), [
    ['admin', null],
    ['employee', null],
  ]);
  const grants = await db('user_roles').select('user_id', 'role_name').orderBy(['user_id', 'role_name']);
  assert.deepEqual(grants.map((g: { user_id: string; role_name: string }) => `${g.user_id}:${g.role_name}`), ['u1:admin', 'u1:employee', 'u2:admin']);
  assert.equal(await db.schema.hasColumn('users', 'roles'), false);
  assert.equal(await db.schema.hasColumn('users', 'org_id'), true);

  await db.migrate.down({ migrationSource: source('005_roles_groups') });
  const restored = await db('users').select('id', 'roles').orderBy('id');
  assert.deepEqual(restored.map((u: { id: string; roles: string[] }) => [u.id, u.roles]), [
    ['u1', ['admin', 'employee']],
    ['u2', ['admin']],
    ['u3', []],
  ], 'down restores the direct global grants');
});
