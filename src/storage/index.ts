import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import { type Database, migrateToLatest, openDatabase, pingDatabase } from './database.ts';
import { lockEmbeddedDataDir } from './embedded-lock.ts';
import { migratedTemplate } from './embedded-template.ts';
import type { KeyValueStore } from './key-value.ts';
import { createMemoryKeyValueStore } from './key-value-memory.ts';
import { createKeyspaces, type Keyspaces } from './keyspaces/index.ts';
import { createQueries, type Queries } from './queries/index.ts';
import { type Transact, withTransaction } from './transaction.ts';
import { StoreUnreachable } from './unreachable.ts';

export { dumpEmbeddedDatabase, migrateToLatest, whileBootstrapping } from './database.ts';
export { EmbeddedDataDirBusy } from './embedded-lock.ts';
export type { KeyValueStore } from './key-value.ts';
export type { Keyspaces } from './keyspaces/index.ts';
export type { Queries } from './queries/index.ts';
export { StoreUnreachable } from './unreachable.ts';

export interface Storage {
  kind: 'embedded' | 'services';
  db: Database;
  kv: KeyValueStore;
  /** The key-value store seen through its keyspaces: the only way anything reads or writes a key. */
  keyspaces: Keyspaces;
  /** The Redis client in services mode (rate limiters share it); undefined in embedded mode. */
  redis: Redis | undefined;
  queries: Queries;
  /** withTransaction over this database: the one way to compose writes. */
  transaction: Transact;
  pingDatabase(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens both stores for the configured mode: Postgres + Redis, or PGlite + in-process map.
 * `dataDir: undefined` (tests) gives an in-memory PGlite.
 */
export interface StorageOptions {
  inMemoryEmbedded?: boolean;
  /** With inMemoryEmbedded: a dump of a data directory to start from (tests: skips initdb). */
  embeddedTemplate?: Blob;
  /** Connection problems (both stores reconnect by themselves). */
  onConnectionProblem?: (store: 'database' | 'redis', message: string) => void;
}

export async function openStorage(config: Pick<Config, 'storage' | 'redisPrefix'>, options: StorageOptions = {}): Promise<Storage> {
  const persistentEmbedded = config.storage.kind === 'embedded' && !options.inMemoryEmbedded;
  const unlock = persistentEmbedded && config.storage.kind === 'embedded' ? lockEmbeddedDataDir(config.storage.dataDir) : () => {};
  const db =
    config.storage.kind === 'services'
      ? await openDatabase(
          {
            kind: 'postgres',
            url: config.storage.databaseUrl,
            poolMax: config.storage.poolMax,
            statementTimeoutMs: config.storage.statementTimeoutMs,
          },
          { warn: (message) => options.onConnectionProblem?.('database', message) },
        )
      : await openDatabase(
          options.inMemoryEmbedded
            ? { kind: 'pglite', dataDir: undefined, template: options.embeddedTemplate }
            : { kind: 'pglite', dataDir: config.storage.dataDir, freshDirectoryTemplate: migratedTemplate },
        );
  let redisStore: Awaited<ReturnType<typeof import('./key-value-redis.ts').createRedisKeyValueStore>> | undefined;
  if (config.storage.kind === 'services') {
    // Both stores answer once before anything else runs, so a wrong URL or a stopped server is
    // one clear line at start, not the first failing query.
    const { databaseUrl, redisUrl } = config.storage;
    let redisProblem: string | undefined;
    try {
      // ioredis only in services mode: embedded starts and CLI runs never load it.
      const { createRedisKeyValueStore } = await import('./key-value-redis.ts');
      await pingDatabase(db).catch((error: Error) => {
        throw new StoreUnreachable('Postgres', databaseUrl, error.message, { cause: error });
      });
      redisStore = await createRedisKeyValueStore({
        url: redisUrl,
        prefix: config.redisPrefix,
        onError: (error) => {
          redisProblem ??= error.message;
          options.onConnectionProblem?.('redis', error.message);
        },
      }).catch((error: Error) => {
        throw new StoreUnreachable('Redis', redisUrl, redisProblem ?? error.message, { cause: error });
      });
    } catch (error) {
      await db.destroy();
      throw error;
    }
  }
  const kv = redisStore ?? createMemoryKeyValueStore();
  return {
    kind: config.storage.kind,
    db,
    kv,
    keyspaces: createKeyspaces(kv),
    redis: redisStore?.redis,
    queries: createQueries(db),
    transaction: (work) => withTransaction(db, work),
    pingDatabase: () => pingDatabase(db),
    async close() {
      await kv.close();
      await db.destroy();
      unlock();
    },
  };
}

export async function openAndMigrate(config: Pick<Config, 'storage' | 'redisPrefix'>, options: StorageOptions = {}): Promise<Storage> {
  const storage = await openStorage(config, options);
  await migrateToLatest(storage.db);
  return storage;
}
