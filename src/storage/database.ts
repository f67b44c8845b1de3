import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { migrations } from '../../migrations/index.ts';
import { StoreUnavailable } from '../errors.ts';
import { translateDatabaseError } from './pg-errors.ts';
import { restrictToOwner } from './private-data-dir.ts';
import { firstLine } from './unreachable.ts';

export type Database = Knex;

export type DatabaseTarget =
  | { kind: 'postgres'; url: string; poolMax?: number; statementTimeoutMs?: number }
  | {
      kind: 'pglite';
      dataDir: string | undefined;
      /**
       * In memory only (no dataDir): start from this dump of a data directory (`dumpEmbeddedDatabase`)
       * instead of running initdb, which costs seconds of WebAssembly on every start.
       */
      template?: Blob;
      /**
       * With dataDir: a data directory that holds no database yet starts from this dump instead of
       * running initdb (embedded-template.ts). The caller still migrates it to the latest version.
       */
      freshDirectoryTemplate?: () => Promise<Blob>;
    };

/** Where knex and the pg pool report problems (instead of the console). */
export interface DatabaseLog {
  warn(message: string): void;
}

/** SQLSTATE of a write on a server that is (no longer) the primary. */
const READ_ONLY_TRANSACTION = '25006';

/** Arbitrary constant: the advisory lock every instance takes while migrating. */
const MIGRATION_LOCK_KEY = 724_311_001;
/** The advisory lock instances take in turn while applying GATEHOUSE_BOOTSTRAP_FILE. */
const BOOTSTRAP_LOCK_KEY = 724_311_002;

/** Opens Postgres (pooled) or embedded PGlite (one connection, as PGlite is single-user). */
export async function openDatabase(target: DatabaseTarget, log?: DatabaseLog): Promise<Database> {
  // First lines only: knex passes errors with their stack, which has no place in an operator's log.
  const knexLog = {
    warn: (message: unknown) => log?.warn(firstLine(String(message))),
    error: (message: unknown) => log?.warn(firstLine(String(message))),
    deprecate: () => {},
    debug: () => {},
  };
  if (target.kind === 'pglite') {
    // Imported only in embedded mode: production (Postgres) never loads PGlite.
    const { default: ClientPgLite } = await import('knex-pglite');
    let connection: { filename?: string; pglite?: unknown } = {};
    if (target.template && target.dataDir === undefined) {
      // The CommonJS build, the one knex-pglite requires: a single copy of PGlite in the process.
      const { PGlite } = createRequire(import.meta.url)('@electric-sql/pglite') as typeof import('@electric-sql/pglite');
      connection = { pglite: new PGlite({ loadDataDir: target.template }) };
    } else if (target.dataDir !== undefined) {
      const dir = resolve(target.dataDir, 'pg');
      const loading = `${dir}.loading`;
      // A start that died while loading the dump left a partial cluster in a directory that was empty before.
      if (existsSync(loading)) rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      connection = { filename: dir };
      if (target.freshDirectoryTemplate && readdirSync(dir).length === 0) {
        const { PGlite } = createRequire(import.meta.url)('@electric-sql/pglite') as typeof import('@electric-sql/pglite');
        const template = await target.freshDirectoryTemplate();
        writeFileSync(loading, '', { mode: 0o600 });
        connection.pglite = new PGlite({ dataDir: dir, loadDataDir: template });
      }
    }
    const db = knexFactory({ client: ClientPgLite, dialect: 'postgres', connection, log: knexLog } as Knex.Config);
    if (connection.filename) {
      // PGlite creates its cluster (or loads the dump) on first use, with files of mode 0666: make them private now.
      await pingDatabase(db);
      restrictEmbeddedFiles(db);
      rmSync(`${connection.filename}.loading`, { force: true });
    }
    return db;
  }
  const statementTimeout = target.statementTimeoutMs ?? 5000;
  const pooled = new Map<string, PooledConnection>();
  const db = knexFactory({
    client: 'pg',
    log: knexLog,
    connection: {
      connectionString: target.url,
      // Every query has a deadline, server-side and client-side (a silent network never hangs us).
      statement_timeout: statementTimeout,
      query_timeout: statementTimeout + 1000,
      connectionTimeoutMillis: 5000,
      keepAlive: true,
    },
    pool: {
      min: 0,
      max: target.poolMax ?? 10,
      acquireTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
      // A connection that died with the server is dropped from the pool, not handed out again; and
      // after a failover a new connection must reach the writable primary, not a standby.
      afterCreate: (connection: PooledConnection, done: (error?: Error | null, connection?: unknown) => void) => {
        pooled.set(connection.__knexUid, connection);
        connection.on('end', () => pooled.delete(connection.__knexUid));
        connection.on('error', (error) => log?.warn(`database connection lost: ${error.message}`));
        connection.query('select pg_is_in_recovery() as standby', (error, result) => {
          if (error) return done(error, connection);
          if (result?.rows[0]?.standby) return done(new Error('connected to a read-only standby, not the primary'), connection);
          done(null, connection);
        });
      },
    },
    acquireConnectionTimeout: 5000,
  });
  // A connection whose statement got no answer (read timeout, reset) is in an unknown state: the
  // statement may still run later — a BEGIN that opens a transaction nobody will commit, so that
  // the next user's writes silently vanish; a write that lands after we answered 503. And one that
  // says "read-only transaction" (25006) still points at a demoted primary after a failover. Either
  // is ended at once (the server rolls back whatever it had open) and never handed out again.
  db.on('query-error', (error: unknown, query: { __knexUid?: string }) => {
    const connection = query.__knexUid ? pooled.get(query.__knexUid) : undefined;
    const code = String((error as { code?: unknown })?.code);
    const unusable = !/^[0-9A-Z]{5}$/.test(code) || code === READ_ONLY_TRANSACTION; // no SQLSTATE: the server never replied
    if (!connection || !unusable || !(translateDatabaseError(error) instanceof StoreUnavailable)) return;
    connection.__knex__disposed = error;
    pooled.delete(connection.__knexUid);
    void connection.end().catch(() => undefined);
  });
  return db;
}

/** The pg client behind one pooled connection, as far as this module touches it. */
interface PooledConnection {
  __knexUid: string;
  /** knex's own flag: a connection carrying it is destroyed instead of reused. */
  __knex__disposed?: unknown;
  on(event: 'error' | 'end', fn: (error: Error) => void): void;
  query(sql: string, fn: (error: Error | null, result?: { rows: Array<{ standby: boolean }> }) => void): void;
  end(): Promise<void>;
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
  if (db.client.config.client !== 'pg') {
    const applied = await run();
    // The tables a migration creates are new PGlite files (mode 0666): private as well.
    restrictEmbeddedFiles(db);
    return applied;
  }
  return underAdvisoryLock(db, MIGRATION_LOCK_KEY, run);
}

/** `run` while holding a session-level advisory lock on a connection of its own (Postgres only). */
async function underAdvisoryLock<T>(db: Database, key: number, run: () => Promise<T>): Promise<T> {
  const lock = await db.client.acquireConnection();
  try {
    await db.raw('select pg_advisory_lock(?)', [key]).connection(lock);
    return await run();
  } finally {
    await db.raw('select pg_advisory_unlock(?)', [key]).connection(lock).catch(() => undefined);
    await db.client.releaseConnection(lock);
  }
}

/**
 * One instance at a time applies the bootstrap file: the next one finds it applied and changes
 * nothing. PGlite belongs to one process, which needs no lock.
 */
export function whileBootstrapping<T>(db: Database, run: () => Promise<T>): Promise<T> {
  return db.client.config.client === 'pg' ? underAdvisoryLock(db, BOOTSTRAP_LOCK_KEY, run) : run();
}

/**
 * Files of an on-disk PGlite database: owner only (private-data-dir.ts). Files PGlite creates
 * later while running stay inside the private directory and are narrowed at the next start.
 */
function restrictEmbeddedFiles(db: Database): void {
  const filename = (db.client.config.connection as { filename?: string } | undefined)?.filename;
  if (filename) restrictToOwner(filename);
}

/** A dump of an embedded (PGlite) database's data directory, for `template` above. */
export async function dumpEmbeddedDatabase(db: Database): Promise<Blob> {
  const connection = (await db.client.acquireConnection()) as { dumpDataDir?(compression: 'none'): Promise<Blob> };
  try {
    if (!connection.dumpDataDir) throw new Error('only an embedded (PGlite) database can be dumped');
    return await connection.dumpDataDir('none');
  } finally {
    await db.client.releaseConnection(connection);
  }
}

export async function pingDatabase(db: Database): Promise<void> {
  await db.raw('select 1');
}
