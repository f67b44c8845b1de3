/**
 * Runs the whole suite: pure unit tests once (in the same runner as the embedded mode), and every storage-touching test once per mode —
 * embedded (PGlite + in-process store) and services (Postgres + Redis). Each services run gets
 * its own database and Redis key prefix, removed afterwards. Without Postgres or Redis the
 * services mode is skipped, loudly, and everything else still runs.
 *
 *   node test/run.ts [--mode embedded|services|all] [--only glob]
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { globSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { compileCacheDir } from '../src/compile-cache.ts';
import { migrateToLatest, openDatabase } from '../src/storage/database.ts';

const { values } = parseArgs({
  options: { mode: { type: 'string', default: 'all' }, only: { type: 'string' } },
});
const ADMIN_URL = process.env.GATEHOUSE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.GATEHOUSE_TEST_REDIS ?? 'redis://127.0.0.1:6379';
const UNIT = ['test/unit/**/*.test.ts'];
const PER_MODE = ['test/storage/**/*.test.ts', 'test/protocol/**/*.test.ts', 'test/interactions/**/*.test.ts', 'test/logs/**/*.test.ts', 'test/cli/**/*.test.ts', 'test/browser/**/*.test.ts', 'test/imports/**/*.test.ts', 'test/examples/**/*.test.ts'];
const SERVICES_ONLY = ['test/concurrency/**/*.test.ts'];
/**
 * Every test process (and each server or CLI process a test spawns, which inherit it) reuses the
 * code V8 compiled for the same modules in earlier ones: about 0.8 s of CPU less per process.
 */
const COMPILE_CACHE = compileCacheDir();

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}
/** Seconds of top-level tests per file, slowest first (written by the count reporter). */
type FileSeconds = Record<string, number>;

const TEST_TIMEOUT_MS = 10 * 60_000;
/**
 * From Node 24 the runner applies --test-timeout to each test and hook of a file (a test's own
 * `timeout`, like the browser tour's, wins); older runners apply it to the whole file, which would
 * stop a long file midway, so they get none (npm scripts run the project-pinned Node 24).
 */
const PER_TEST_TIMEOUT = Number(process.versions.node.split('.')[0]) >= 24 ? [`--test-timeout=${TEST_TIMEOUT_MS}`] : [];

function printSlowestFiles(files: FileSeconds | undefined): void {
  const slowest = Object.entries(files ?? {}).slice(0, 20);
  if (slowest.length === 0) return;
  process.stdout.write('slowest files (seconds of their top-level tests):\n');
  for (const [file, seconds] of slowest) process.stdout.write(`  ${String(seconds).padStart(5)}  ${file.replace(`${process.cwd()}/`, '')}\n`);
}

async function runNodeTest(label: string, globs: string[], env: Record<string, string>): Promise<Counts> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-test-report-'));
  const countsFile = join(dir, 'counts.json');
  // --only narrows the run but never puts the multi-instance (services-only) tests into embedded mode.
  const servicesOnlyAllowed = globs.some((glob) => glob.startsWith('test/concurrency'));
  const patterns = values.only
    ? globSync(values.only).filter((file) => servicesOnlyAllowed || !file.startsWith('test/concurrency/'))
    : globs;
  if (patterns.length === 0) return { passed: 0, failed: 0, skipped: 0 };
  process.stdout.write(`\n━━ ${label} ━━\n`);
  const startedAt = performance.now();
  const code = await new Promise<number>((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--test',
        '--test-concurrency=2',
        // A hung test or hook (a lock never released, a server that never answers) fails after
        // this, and a file whose open handles would keep its process alive ends anyway: the run
        // reports it instead of holding CI until it is killed. Far above the slowest test on a
        // busy machine, so no test passes or fails by speed.
        ...PER_TEST_TIMEOUT,
        '--test-force-exit',
        '--test-reporter=spec',
        '--test-reporter-destination=stdout',
        '--test-reporter=./test/harness/count-reporter.ts',
        `--test-reporter-destination=${countsFile}`,
        ...patterns,
      ],
      { stdio: 'inherit', env: { ...process.env, ...(COMPILE_CACHE ? { NODE_COMPILE_CACHE: COMPILE_CACHE } : {}), ...env } },
    );
    child.on('exit', (exitCode) => resolve(exitCode ?? 1));
  });
  let counts: Counts = { passed: 0, failed: code === 0 ? 0 : 1, skipped: 0 };
  try {
    const report = JSON.parse(readFileSync(countsFile, 'utf8')) as Counts & { files?: FileSeconds };
    counts = { passed: report.passed, failed: report.failed, skipped: report.skipped };
    process.stdout.write(`\n━━ ${label}: ${Math.round((performance.now() - startedAt) / 1000)} s ━━\n`);
    printSlowestFiles(report.files);
    if (code !== 0 && counts.failed === 0) counts.failed = 1; // a crash outside any test
  } catch {
    // no report: the runner itself failed; counted as one failure above
  }
  rmSync(dir, { recursive: true, force: true });
  return counts;
}

async function servicesAvailable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    return `Postgres at ${ADMIN_URL} is unreachable (${(error as Error).message})`;
  } finally {
    await client.end().catch(() => undefined);
  }
  const redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    return `Redis at ${REDIS_URL} is unreachable (${(error as Error).message})`;
  } finally {
    redis.disconnect();
  }
  return undefined;
}

/**
 * Migrated once per run: every test process's database is a copy of it (CREATE DATABASE …
 * TEMPLATE), so no test process runs the migrations again (about a second each).
 */
async function createTemplateDatabase(databasePrefix: string): Promise<string> {
  const name = `${databasePrefix}_template`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const db = await openDatabase({ kind: 'postgres', url: url.href });
  try {
    await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
  return name;
}

async function withServicesRun<T>(fn: (env: Record<string, string>) => Promise<T>): Promise<T> {
  const runId = randomBytes(5).toString('hex');
  const databasePrefix = `gatehouse_test_${runId}`;
  const redisPrefix = `gatehouse-test:${runId}:`;
  process.stdout.write(`services run: databases ${databasePrefix}_*, Redis prefix ${redisPrefix}\n`);
  try {
    const templateDatabase = await createTemplateDatabase(databasePrefix);
    return await fn({
      GATEHOUSE_TEST_MODE: 'services',
      GATEHOUSE_TEST_ADMIN_URL: ADMIN_URL,
      GATEHOUSE_TEST_DATABASE_PREFIX: databasePrefix,
      GATEHOUSE_TEST_TEMPLATE_DATABASE: templateDatabase,
      GATEHOUSE_TEST_REDIS_URL: REDIS_URL,
      GATEHOUSE_TEST_REDIS_PREFIX: redisPrefix,
      GATEHOUSE_TEST_KEY_ENCRYPTION_SECRET: randomBytes(32).toString('base64url'),
    });
  } finally {
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    const { rows } = await admin.query('select datname from pg_database where datname like $1', [`${databasePrefix}%`]);
    for (const { datname } of rows as Array<{ datname: string }>) {
      await admin.query(`drop database if exists "${datname}" with (force)`).catch(() => undefined);
    }
    await admin.end();
    const redis = new Redis(REDIS_URL);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    redis.disconnect();
    process.stdout.write(`services run: dropped ${rows.length} databases and the Redis prefix\n`);
  }
}

const totals: Counts = { passed: 0, failed: 0, skipped: 0 };
const skippedParts: string[] = [];
const add = (counts: Counts) => {
  totals.passed += counts.passed;
  totals.failed += counts.failed;
  totals.skipped += counts.skipped;
};

if (values.mode === 'all' || values.mode === 'embedded') {
  // The unit tests (which ignore the mode) share the embedded run's two workers: one run, no idle
  // core while the last file of the first run finishes.
  add(
    values.only
      ? await runNodeTest('embedded mode (PGlite + in-process store)', PER_MODE, { GATEHOUSE_TEST_MODE: 'embedded' })
      : await runNodeTest('unit tests and embedded mode (PGlite + in-process store)', [...UNIT, ...PER_MODE], { GATEHOUSE_TEST_MODE: 'embedded' }),
  );
}
if (values.mode === 'all' || values.mode === 'services') {
  const problem = await servicesAvailable();
  if (problem) {
    skippedParts.push(`services mode (Postgres + Redis) and the multi-instance tests: ${problem}`);
  } else {
    add(await withServicesRun((env) => runNodeTest('services mode (Postgres + Redis)', [...PER_MODE, ...SERVICES_ONLY], env)));
  }
}

if (skippedParts.length > 0) {
  const bar = '!'.repeat(78);
  process.stdout.write(`\n${bar}\n!! SKIPPED — these parts of the suite did NOT run:\n`);
  for (const part of skippedParts) process.stdout.write(`!!   - ${part}\n`);
  process.stdout.write(`!! Start Postgres (127.0.0.1:5432) and Redis (127.0.0.1:6379) to run them.\n${bar}\n`);
}
process.stdout.write(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
process.exit(totals.failed > 0 ? 1 : 0);
