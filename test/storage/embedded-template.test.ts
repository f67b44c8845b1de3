/**
 * A fresh embedded data directory starts from a dump of a migrated database instead of initdb and
 * every migration (src/storage/embedded-template.ts). It must end up exactly as a directory
 * migrated the slow way, a migration newer than the dump must still run on it, and a start that
 * died while loading the dump must not leave a half cluster behind.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Knex } from 'knex';
import { migrations } from '../../migrations/index.ts';
import { type Database, dumpEmbeddedDatabase, migrateToLatest, openDatabase } from '../../src/storage/database.ts';
import { migratedTemplate } from '../../src/storage/embedded-template.ts';
import { openAndMigrate } from '../../src/storage/index.ts';
import { storageMode } from '../harness/mode.ts';

const skip = storageMode() !== 'embedded' && 'PGlite data directories belong to the embedded mode: runs in embedded mode';

const parent = mkdtempSync(join(tmpdir(), 'gatehouse-template-'));
after(() => rmSync(parent, { recursive: true, force: true }));

/** Everything the migrations define, in a comparable form: applied migrations, columns, indexes, constraints. */
async function schemaOf(db: Database) {
  const rows = async (sql: string) => (await db.raw(sql)).rows as unknown[];
  return {
    migrations: (await db('knex_migrations').orderBy('id').select('name')).map((row: { name: string }) => row.name),
    columns: await rows(
      `select table_name, column_name, data_type, is_nullable, column_default from information_schema.columns where table_schema = 'public' order by 1, 2`,
    ),
    indexes: await rows(`select tablename, indexname, indexdef from pg_indexes where schemaname = 'public' order by 1, 2`),
    constraints: await rows(
      `select conrelid::regclass::text as table_name, conname, pg_get_constraintdef(oid) as definition from pg_constraint where connamespace = 'public'::regnamespace order by 1, 2`,
    ),
    sequences: await rows(`select sequence_name from information_schema.sequences where sequence_schema = 'public' order by 1`),
  };
}

let migratedTheSlowWay: Awaited<ReturnType<typeof schemaOf>>;
before(async () => {
  if (skip) return;
  const db = await openDatabase({ kind: 'pglite', dataDir: undefined });
  try {
    await migrateToLatest(db);
    migratedTheSlowWay = await schemaOf(db);
  } finally {
    await db.destroy();
  }
});

test('a fresh data directory opened by the server starts from the dump and has the fully migrated schema', { skip }, async () => {
  let templatesAsked = 0;
  const counted = () => {
    templatesAsked++;
    return migratedTemplate();
  };
  const dataDir = join(parent, 'fresh');
  const db = await openDatabase({ kind: 'pglite', dataDir, freshDirectoryTemplate: counted });
  try {
    assert.equal(templatesAsked, 1, 'the fresh directory was loaded from the dump');
    assert.deepEqual(await migrateToLatest(db), [], 'the dump is already at the latest migration');
    assert.deepEqual(await schemaOf(db), migratedTheSlowWay);
  } finally {
    await db.destroy();
  }
  const reopened = await openDatabase({ kind: 'pglite', dataDir, freshDirectoryTemplate: counted });
  await reopened.destroy();
  assert.equal(templatesAsked, 1, 'an existing directory is opened as it is, never loaded over');

  // The way the server and the CLI open it (openStorage), with the dump from the cache.
  const storage = await openAndMigrate({ storage: { kind: 'embedded', dataDir: join(parent, 'server') }, redisPrefix: '' });
  try {
    assert.deepEqual(await schemaOf(storage.db), migratedTheSlowWay);
  } finally {
    await storage.close();
  }
});

test('a migration newer than the dump still runs on a directory made from it', { skip }, async () => {
  const older = await openDatabase({ kind: 'pglite', dataDir: undefined });
  let olderDump: Blob;
  try {
    const allButLast = migrations.slice(0, -1);
    const source: Knex.MigrationSource<(typeof migrations)[number]> = {
      getMigrations: async () => [...allButLast],
      getMigrationName: (migration) => migration.name,
      getMigration: async (migration) => migration.module,
    };
    await older.migrate.latest({ migrationSource: source });
    olderDump = await dumpEmbeddedDatabase(older);
  } finally {
    await older.destroy();
  }
  const db = await openDatabase({ kind: 'pglite', dataDir: join(parent, 'older'), freshDirectoryTemplate: async () => olderDump });
  try {
    assert.deepEqual(await migrateToLatest(db), [migrations.at(-1)?.name]);
    assert.deepEqual(await schemaOf(db), migratedTheSlowWay);
  } finally {
    await db.destroy();
  }
});

test('a start that died while loading the dump leaves no half cluster: the next start loads it again', { skip }, async () => {
  const dataDir = join(parent, 'interrupted');
  mkdirSync(join(dataDir, 'pg'), { recursive: true, mode: 0o700 });
  writeFileSync(join(dataDir, 'pg', 'PG_VERSION'), '17\n');
  writeFileSync(join(dataDir, 'pg.loading'), '');
  const db = await openDatabase({ kind: 'pglite', dataDir, freshDirectoryTemplate: migratedTemplate });
  try {
    assert.deepEqual(await schemaOf(db), migratedTheSlowWay);
    assert.ok(!readdirSync(dataDir).includes('pg.loading'), 'the marker is gone once the dump is loaded');
  } finally {
    await db.destroy();
  }
});
