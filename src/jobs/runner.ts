import { performance } from 'node:perf_hooks';
import type { Clock } from '../clock.ts';
import { Conflict, NotFound } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { JobQueries, JobRunRow } from '../storage/queries/jobs.ts';
import { inSpan } from '../tracing/spans.ts';
import type { Job, JobReport, JobScope } from './job.ts';
import { checkPeriodSeconds, isDue, jittered } from './schedule.ts';

/** What an operator sees of a job: its definition and its last run. */
export interface JobStatus {
  name: string;
  summary: string;
  scope: JobScope;
  intervalSeconds: number;
  /** Whether this instance runs it on a timer (it can always be run once by hand). */
  scheduled: boolean;
  /** Cluster jobs: the last run anywhere (`job_runs`). Instance jobs: this instance's last run. */
  lastRun: JobRunRow | undefined;
}

export type JobStore = Pick<JobQueries, 'tryWithLock' | 'lastRun' | 'lastRuns' | 'recordRun'>;

const MAX_ERROR_LENGTH = 500;

/**
 * The one scheduler of periodic work. Each job runs on its own chain of unref'd timers (the next
 * run is scheduled when one finishes, so runs of a job never pile up); `stop()` clears the timers,
 * aborts running jobs between two batches and waits for them.
 */
export function createJobRunner(deps: {
  jobs: readonly Job[];
  store: JobStore;
  clock: Clock;
  logger: Logger;
  /** Sees every report (metrics). */
  observe?: (report: JobReport) => void;
  random?: () => number;
}) {
  const { store, clock, logger } = deps;
  const random = deps.random ?? Math.random;
  const jobs = new Map(deps.jobs.map((job) => [job.name, job]));
  const abort = new AbortController();
  const timers = new Map<string, NodeJS.Timeout>();
  const inflight = new Set<Promise<unknown>>();
  /** Instance jobs: the current run of each, so runs in this process never overlap. */
  const instanceRuns = new Map<string, Promise<JobReport>>();
  const instanceLast = new Map<string, JobRunRow>();
  const scheduled = new Set<string>();

  const jobNamed = (name: string): Job => {
    const job = jobs.get(name);
    if (!job) throw new NotFound(`job ${name}`);
    return job;
  };

  /** Runs the job body; a throw becomes a failure report (with its message, cut short). */
  async function attempt(job: Job): Promise<Exclude<JobReport, { outcome: 'skipped' }>> {
    const startedAt = clock.now();
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      // A span per run: the run's queries and outbound calls (webhook deliveries) are its children.
      const { rows, details } = await inSpan(`job ${job.name}`, { 'gatehouse.job': job.name }, () => job.run({ now: startedAt, signal: abort.signal }));
      return { job: job.name, outcome: 'success', startedAt, durationMs: elapsed(), rows, ...(details ? { details } : {}) };
    } catch (error) {
      logger.warn({ event: 'job.failed', job: job.name, err: error }, `job ${job.name} failed`);
      const message = error instanceof Error ? error.message : String(error);
      return { job: job.name, outcome: 'failure', startedAt, durationMs: elapsed(), error: message.slice(0, MAX_ERROR_LENGTH) };
    }
  }

  /** Cluster jobs: the run is recorded for every instance to see. Instance jobs: kept here. */
  async function remember(job: Job, report: Exclude<JobReport, { outcome: 'skipped' }>): Promise<void> {
    const succeeded = report.outcome === 'success';
    const run = {
      name: job.name,
      startedAt: report.startedAt,
      finishedAt: clock.now(),
      outcome: report.outcome,
      rows: succeeded ? report.rows : 0,
      durationMs: report.durationMs,
      error: succeeded ? null : report.error,
    };
    if (job.scope === 'cluster') {
      await store.recordRun(run).catch((error: unknown) => logger.warn({ err: error, job: job.name }, 'could not record the job run'));
      return;
    }
    instanceLast.set(job.name, { ...run, lastSuccessAt: succeeded ? run.finishedAt : (instanceLast.get(job.name)?.lastSuccessAt ?? null) });
  }

  async function execute(job: Job): Promise<JobReport> {
    const report = await attempt(job);
    await remember(job, report);
    if (report.outcome === 'success') {
      // Instance jobs run every few seconds: their successes are noise unless asked for.
      logger[job.scope === 'cluster' ? 'info' : 'debug'](
        { event: 'job.finished', job: job.name, rows: report.rows, durationMs: report.durationMs, details: report.details },
        `job ${job.name} finished`,
      );
    }
    return report;
  }

  async function runCluster(job: Job, onlyIfDue: boolean): Promise<JobReport> {
    const locked = await store.tryWithLock(job.name, async (): Promise<JobReport> => {
      if (onlyIfDue && !isDue((await store.lastRun(job.name))?.lastSuccessAt, job.intervalSeconds, clock.now())) {
        return { job: job.name, outcome: 'skipped', reason: 'not_due' };
      }
      return execute(job);
    });
    return locked.acquired ? locked.value : { job: job.name, outcome: 'skipped', reason: 'busy' };
  }

  /** Instance jobs: a timer tick skips while a run is going; a run by hand waits for it, then runs. */
  function runInstance(job: Job, waitIfBusy: boolean): Promise<JobReport> {
    const current = instanceRuns.get(job.name);
    if (current && !waitIfBusy) return Promise.resolve({ job: job.name, outcome: 'skipped', reason: 'busy' });
    const run: Promise<JobReport> = (current ?? Promise.resolve()).then(() => execute(job));
    instanceRuns.set(job.name, run);
    void run.finally(() => {
      if (instanceRuns.get(job.name) === run) instanceRuns.delete(job.name);
    });
    return run;
  }

  function run(job: Job, mode: 'scheduled' | 'manual'): Promise<JobReport> {
    if (abort.signal.aborted) return Promise.resolve({ job: job.name, outcome: 'skipped', reason: 'stopped' });
    const running = job.scope === 'cluster' ? runCluster(job, mode === 'scheduled') : runInstance(job, mode === 'manual');
    const observed = running.then(
      (report) => {
        deps.observe?.(report);
        return report;
      },
      (error: unknown) => {
        // The lock or the run record could not be reached (the job's own failures are reports).
        logger.warn({ event: 'job.failed', job: job.name, err: error }, `job ${job.name} could not run`);
        deps.observe?.({ job: job.name, outcome: 'failure', startedAt: clock.now(), durationMs: 0, error: String(error) });
        throw error;
      },
    );
    inflight.add(observed);
    void observed.finally(() => inflight.delete(observed)).catch(() => undefined);
    return observed;
  }

  function schedule(job: Job): void {
    if (abort.signal.aborted) return;
    const timer = setTimeout(() => {
      timers.delete(job.name);
      run(job, 'scheduled')
        .catch(() => undefined) // logged and counted in run()
        .finally(() => schedule(job));
    }, jittered(checkPeriodSeconds(job.scope, job.intervalSeconds) * 1000, random));
    timer.unref();
    timers.set(job.name, timer);
  }

  return {
    /** Starts the timers of the jobs `which` selects (all by default). */
    start(which: (job: Job) => boolean = () => true): void {
      for (const job of jobs.values()) {
        if (!which(job) || scheduled.has(job.name)) continue;
        scheduled.add(job.name);
        schedule(job);
      }
    },

    /**
     * Runs a job now, whether or not it is due. A cluster job already running anywhere is not
     * started twice: that is a Conflict. A failed run is a report, not an error.
     */
    async runOnce(name: string): Promise<JobReport> {
      const report = await run(jobNamed(name), 'manual');
      if (report.outcome === 'skipped' && report.reason === 'busy') {
        throw new Conflict(`job ${name} is running on this or another instance; try again when it has finished`);
      }
      return report;
    },

    async list(): Promise<JobStatus[]> {
      const recorded = new Map((await store.lastRuns()).map((row) => [row.name, row]));
      return [...jobs.values()].map((job) => ({
        name: job.name,
        summary: job.summary,
        scope: job.scope,
        intervalSeconds: job.intervalSeconds,
        scheduled: scheduled.has(job.name),
        lastRun: job.scope === 'cluster' ? recorded.get(job.name) : instanceLast.get(job.name),
      }));
    },

    /** Stops the timers, asks running jobs to stop after their current batch, and waits for them. */
    async stop(): Promise<void> {
      abort.abort();
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...inflight]);
    },
  };
}

export type JobRunner = ReturnType<typeof createJobRunner>;
