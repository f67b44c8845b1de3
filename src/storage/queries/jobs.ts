import { crc32 } from 'node:zlib';
import type { Knex } from 'knex';
import { translated } from '../pg-errors.ts';

/** What the last run of a cluster job left in `job_runs` (one row per job). */
export interface JobRunRow {
  name: string;
  startedAt: Date;
  finishedAt: Date;
  outcome: 'success' | 'failure';
  rows: number;
  durationMs: number;
  error: string | null;
  lastSuccessAt: Date | null;
}

export type LockedRun<T> = { acquired: true; value: T } | { acquired: false };

/**
 * Arbitrary constant: the first key of every job's advisory lock. The two-key form lives in a
 * different lock space from the single-key locks of migrations, key rotation and the audit tail.
 */
const JOB_LOCK_NAMESPACE = 724_311;
const lockKey = (name: string) => crc32(name) | 0;

const toRow = (row: Record<string, unknown>): JobRunRow => ({
  name: row.name as string,
  startedAt: new Date(row.started_at as string),
  finishedAt: new Date(row.finished_at as string),
  outcome: row.outcome as JobRunRow['outcome'],
  rows: Number(row.rows),
  durationMs: Number(row.duration_ms),
  error: (row.error as string | null) ?? null,
  lastSuccessAt: row.last_success_at ? new Date(row.last_success_at as string) : null,
});

/** Job locks and the shared record of each job's last run. */
export function createJobQueries(db: Knex) {
  // Runs of this process, whatever the store: covers PGlite, whose single session would grant the
  // same advisory lock twice, and saves a connection when this process already runs the job.
  const heldHere = new Set<string>();
  const pooled = db.client.config.client === 'pg';

  /** Holds the job's session-level advisory lock on a connection of its own while `fn` runs. */
  async function underAdvisoryLock<T>(name: string, fn: () => Promise<T>): Promise<LockedRun<T>> {
    const connection = await translated(db.client.acquireConnection());
    try {
      const result = await translated(db.raw('select pg_try_advisory_lock(?, ?) as locked', [JOB_LOCK_NAMESPACE, lockKey(name)]).connection(connection));
      if (!result.rows?.[0]?.locked) return { acquired: false };
      try {
        return { acquired: true, value: await fn() };
      } finally {
        // If the connection died, Postgres released the lock with the session already.
        await db.raw('select pg_advisory_unlock(?, ?)', [JOB_LOCK_NAMESPACE, lockKey(name)]).connection(connection).catch(() => undefined);
      }
    } finally {
      await db.client.releaseConnection(connection);
    }
  }

  return {
    /**
     * Runs `fn` only if no other run of the job holds its lock, here or on any instance sharing
     * the database; `{ acquired: false }` at once otherwise (never waits). On Postgres the lock is
     * a session-level advisory lock on a connection held for the run (the job's own statements use
     * the pool; no transaction stays open). Embedded mode is one process by construction (the data
     * directory's lock file), so the in-process guard is the whole lock there: PGlite has a single
     * connection, and pinning it would stall every other query.
     */
    async tryWithLock<T>(name: string, fn: () => Promise<T>): Promise<LockedRun<T>> {
      if (heldHere.has(name)) return { acquired: false };
      heldHere.add(name);
      try {
        return pooled ? await underAdvisoryLock(name, fn) : { acquired: true, value: await fn() };
      } finally {
        heldHere.delete(name);
      }
    },

    lastRuns: async (): Promise<JobRunRow[]> => (await translated(db('job_runs').select('*').orderBy('name'))).map(toRow),

    lastRun: async (name: string): Promise<JobRunRow | undefined> => {
      const row = await translated(db('job_runs').select('*').where({ name }).first());
      return row ? toRow(row) : undefined;
    },

    /** Records a finished run; a failure keeps the time of the last success. */
    recordRun: (run: Omit<JobRunRow, 'lastSuccessAt'>) => {
      const succeeded = run.outcome === 'success';
      const values = {
        started_at: run.startedAt,
        finished_at: run.finishedAt,
        outcome: run.outcome,
        rows: run.rows,
        duration_ms: run.durationMs,
        error: run.error,
      };
      return translated(
        db('job_runs')
          .insert({ name: run.name, ...values, last_success_at: succeeded ? run.finishedAt : null })
          .onConflict('name')
          .merge({ ...values, last_success_at: succeeded ? run.finishedAt : db.ref('job_runs.last_success_at') }),
      ).then(() => undefined);
    },
  };
}

export type JobQueries = ReturnType<typeof createJobQueries>;
