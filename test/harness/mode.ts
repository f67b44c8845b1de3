/**
 * Which storage mode this test process runs in. test/run.ts sets these variables; a test file
 * run on its own (node --test file) defaults to the embedded mode.
 *
 * In services mode every test *process* (one per test file) gets its own database and Redis
 * prefix, inside the run's namespace, so files running in parallel cannot revoke each other's
 * grants or rotate each other's keys. That database is a copy of the run's migrated template
 * (test/run.ts migrates it once); `emptyDatabaseUrl()` gives one with no tables at all, for a
 * test of the migrations themselves. test/run.ts drops them all at the end of the run.
 */
import pg from 'pg';

export type StorageMode = 'embedded' | 'services';

export function storageMode(): StorageMode {
  return process.env.GATEHOUSE_TEST_MODE === 'services' ? 'services' : 'embedded';
}

/**
 * A skip reason outside embedded mode for tests that only check how pages look (axe, screenshots,
 * wording in every language): pages render the same whatever the storage, and what the storage
 * does behind them is tested in both modes by the flows themselves (CI time).
 */
export const pageChecksSkipped = (): string | false =>
  storageMode() !== 'embedded' && 'page checks (axe, screenshots, languages) run in embedded mode only: pages do not depend on storage';

let prepared: Promise<Record<string, string>> | undefined;

function runVariables() {
  const adminUrl = process.env.GATEHOUSE_TEST_ADMIN_URL;
  const databasePrefix = process.env.GATEHOUSE_TEST_DATABASE_PREFIX;
  const redisUrl = process.env.GATEHOUSE_TEST_REDIS_URL;
  const redisPrefix = process.env.GATEHOUSE_TEST_REDIS_PREFIX;
  if (!adminUrl || !databasePrefix || !redisUrl || !redisPrefix) {
    throw new Error('services mode needs the GATEHOUSE_TEST_* variables set by test/run.ts');
  }
  return { adminUrl, databasePrefix, redisUrl, redisPrefix, template: process.env.GATEHOUSE_TEST_TEMPLATE_DATABASE };
}

/** Creates a database of the run (a copy of `template` when given) and returns its URL. */
async function createDatabase(name: string, template: string | undefined): Promise<string> {
  const { adminUrl } = runVariables();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}${template ? ` template ${template}` : ''}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.href;
}

async function createProcessDatabase(): Promise<Record<string, string>> {
  const { databasePrefix, redisUrl, redisPrefix, template } = runVariables();
  const databaseUrl = await createDatabase(`${databasePrefix}_p${process.pid}`, template);
  return { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, GATEHOUSE_REDIS_PREFIX: `${redisPrefix}p${process.pid}:` };
}

/** Services mode: a new database of this run with no tables (not even the migrations table). */
export function emptyDatabaseUrl(): Promise<string> {
  return createDatabase(`${runVariables().databasePrefix}_p${process.pid}_empty`, undefined);
}

/** Environment for the configured mode: services → this process's own database and Redis prefix. */
export function storageEnv(): Promise<Record<string, string>> {
  if (storageMode() === 'embedded') return Promise.resolve({});
  prepared ??= createProcessDatabase();
  return prepared;
}
