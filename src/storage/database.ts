import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { migrations } from '../../migrations/index.ts';

export type Database = Knex;

export type DatabaseTarget =
  | { kind: 'postgres'; url: string; poolMax?: number; statementTimeoutMs?: number }
  | { kind: 'pglite'; dataDir: string | undefined };

/** Arbitrary constant: the advisory lock every instance takes while migrating. */
const MIGRATION_LOCK_KEY = 724_311_001;

/** Opens Postgres (pooled) or embedded PGlite (one connection, as PGlite is single-user). */
export function openDatabase(target: DatabaseTarget): Database {
  if (target.kind === 'pglite') {
    let connection: { filename?: string } = {};
    if (target.dataDir !== undefined) {
      const dir = resolve(target.dataDir, 'pg');
      mkdirSync(dir, { recursive: true });
      connection = { filename: dir };
    }
    return knexFactory({ client: ClientPgLite, dialect: 'postgres', connection } as Knex.Config);
  }
  const statementTimeout = target.statementTimeoutMs ?? 5000;
  return knexFactory({
    client: 'pg',
    connection: {
      connectionString: target.url,
      statement_timeout: statementTimeout,
      connectionTimeoutMillis: 5000,
    },
    pool: { min: 0, max: target.poolMax ?? 10, acquireTimeoutMillis: 5000 },
    acquireConnectionTimeout: 5000,
  });
}

const migrationSource: Knex.MigrationSource<{ name: string; module: Knex.Migration }> = {
  getMigrations: async () => [...migrations],
  getMigrationName: (migration) => migration.name,
  getMigration: async (migration) => migration.module,
};

/**
 * Brings the schema to the latest version. On Postgres an advisory lock serialises instances
 * that start at the same time; PGlite has a single connection, so it needs none.
 */
export async function migrateToLatest(db: Database): Promise<string[]> {
  const run = async () => {
    const [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
    return applied;
  };
  if (db.client.config.client !== 'pg') return run();
  const lock = await db.client.acquireConnection();
  try {
    await db.raw('select pg_advisory_lock(?)', [MIGRATION_LOCK_KEY]).connection(lock);
    return await run();
  } finally {
    await db.raw('select pg_advisory_unlock(?)', [MIGRATION_LOCK_KEY]).connection(lock).catch(() => undefined);
    await db.client.releaseConnection(lock);
  }
}

export async function pingDatabase(db: Database): Promise<void> {
  await db.raw('select 1');
}
