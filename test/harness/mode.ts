/**
 * Which storage mode this test process runs in. test/run.ts sets these variables; a test file
 * run on its own (node --test file) defaults to the embedded mode.
 */
export type StorageMode = 'embedded' | 'services';

export function storageMode(): StorageMode {
  return process.env.GATEHOUSE_TEST_MODE === 'services' ? 'services' : 'embedded';
}

/** Environment for the configured mode: services → the run's own database and Redis prefix. */
export function storageEnv(): Record<string, string> {
  if (storageMode() === 'embedded') return {};
  const databaseUrl = process.env.GATEHOUSE_TEST_DATABASE_URL;
  const redisUrl = process.env.GATEHOUSE_TEST_REDIS_URL;
  const prefix = process.env.GATEHOUSE_TEST_REDIS_PREFIX;
  if (!databaseUrl || !redisUrl || !prefix) {
    throw new Error('services mode needs GATEHOUSE_TEST_DATABASE_URL, _REDIS_URL and _REDIS_PREFIX (run via test/run.ts)');
  }
  return { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, GATEHOUSE_REDIS_PREFIX: prefix };
}
