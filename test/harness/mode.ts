/**
 * Which storage mode this test process runs in. test/run.ts sets these variables; a test file
 * run on its own (node --test file) defaults to the embedded mode.
 *
 * In services mode every test *process* (one per test file) gets its own database and Redis
 * prefix, inside the run's namespace, so files running in parallel cannot revoke each other's
 * grants or rotate each other's keys. test/run.ts drops them all at the end of the run.
 */
import pg from 'pg';

export type StorageMode = 'embedded' | 'services';

export function storageMode(): StorageMode {
  return process.env.GATEHOUSE_TEST_MODE === 'services' ? 'services' : 'embedded';
}

let prepared: Promise<Record<string, string>> | undefined;

async function createProcessDatabase(): Promise<Record<string, string>> {
  const adminUrl = process.env.GATEHOUSE_TEST_ADMIN_URL;
  const databasePrefix = process.env.GATEHOUSE_TEST_DATABASE_PREFIX;
  const redisUrl = process.env.GATEHOUSE_TEST_REDIS_URL;
  const redisPrefix = process.env.GATEHOUSE_TEST_REDIS_PREFIX;
  if (!adminUrl || !databasePrefix || !redisUrl || !redisPrefix) {
    throw new Error('services mode needs the GATEHOUSE_TEST_* variables set by test/run.ts');
  }
  const database = `${databasePrefix}_p${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${database}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return { DATABASE_URL: url.href, REDIS_URL: redisUrl, GATEHOUSE_REDIS_PREFIX: `${redisPrefix}p${process.pid}:` };
}

/** Environment for the configured mode: services → this process's own database and Redis prefix. */
export function storageEnv(): Promise<Record<string, string>> {
  if (storageMode() === 'embedded') return Promise.resolve({});
  prepared ??= createProcessDatabase();
  return prepared;
}
