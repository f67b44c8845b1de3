/**
 * What a job is: a named unit of periodic work with its interval and its scope.
 *
 * - `cluster`: one run at a time across every instance sharing the database (a Postgres advisory
 *   lock), and about once per interval cluster-wide (the last run is recorded in `job_runs`).
 *   Cleanups, retention and sweeps: running them twice at once would only waste work.
 * - `instance`: every instance runs its own on its own timer, because the work changes this
 *   process's state (the key refresh rebuilds this instance's provider). No lock, no record.
 */
export type JobScope = 'cluster' | 'instance';

export interface JobContext {
  /** The clock's time when the run started: the run's cutoffs are fixed from it. */
  now: Date;
  /** Aborted at shutdown: a job stops between two batches. */
  signal: AbortSignal;
}

export interface JobResult {
  /** Rows (or keys, clients, events) the run deleted or created. */
  rows: number;
  /** Identifiers and counts only, never secrets: logged and returned to the operator. */
  details?: Record<string, unknown>;
}

export interface Job {
  /** `area.verb`, e.g. `tokens.delete-expired`; the CLI and the admin API name jobs by it. */
  name: string;
  summary: string;
  scope: JobScope;
  intervalSeconds: number;
  run(context: JobContext): Promise<JobResult>;
}

/** One run, as the runner reports it to the caller, the log and /metrics. */
export type JobReport =
  | { job: string; outcome: 'success'; startedAt: Date; durationMs: number; rows: number; details?: Record<string, unknown> }
  | { job: string; outcome: 'failure'; startedAt: Date; durationMs: number; error: string }
  | { job: string; outcome: 'skipped'; reason: SkipReason };

/**
 * `busy`: another run holds the job (on this instance or another); `not_due`: it ran less than an
 * interval ago somewhere (scheduled checks only); `stopped`: the runner is shutting down.
 */
export type SkipReason = 'busy' | 'not_due' | 'stopped';
