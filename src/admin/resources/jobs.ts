import { z } from 'zod';
import type { JobReport, JobRunner } from '../../jobs/index.ts';
import { adminRoute, ok } from '../route.ts';

const lastRun = z
  .object({
    startedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime(),
    outcome: z.enum(['success', 'failure']),
    rows: z.number().int(),
    durationMs: z.number().int(),
    error: z.string().nullable(),
    lastSuccessAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'JobRun' });

const job = z
  .object({
    name: z.string(),
    summary: z.string(),
    scope: z.enum(['cluster', 'instance']).describe('`cluster`: one instance at a time (advisory lock); `instance`: every instance runs its own.'),
    intervalSeconds: z.number().int(),
    scheduled: z.boolean().describe('Whether the answering instance runs it on a timer.'),
    lastRun: lastRun.nullable().describe('Cluster jobs: the last run on any instance. Instance jobs: the answering instance’s.'),
  })
  .meta({ id: 'Job' });

const report = z
  .object({
    job: z.string(),
    outcome: z.enum(['success', 'failure', 'skipped']),
    startedAt: z.iso.datetime().optional(),
    durationMs: z.number().int().optional(),
    rows: z.number().int().optional().describe('Rows (tokens, events, clients, keys) deleted or created.'),
    details: z.record(z.string(), z.unknown()).optional(),
    error: z.string().optional().describe('Why the run failed.'),
    reason: z.string().optional().describe('Why it did not run (`stopped`: the instance is shutting down).'),
  })
  .meta({ id: 'JobReport' });

const iso = (date: Date | null) => date?.toISOString() ?? null;

function reportBody(run: JobReport): z.input<typeof report> {
  if (run.outcome === 'skipped') return { job: run.job, outcome: run.outcome, reason: run.reason };
  const common = { job: run.job, startedAt: run.startedAt.toISOString(), durationMs: run.durationMs };
  return run.outcome === 'success'
    ? { ...common, outcome: run.outcome, rows: run.rows, ...(run.details ? { details: run.details } : {}) }
    : { ...common, outcome: run.outcome, error: run.error };
}

export function jobRoutes(jobs: JobRunner) {
  return [
    adminRoute({
      method: 'get',
      path: '/jobs',
      operationId: 'listJobs',
      summary: 'Periodic jobs, their schedule and their last run',
      tag: 'Jobs',
      responses: { 200: { description: 'Jobs', schema: z.object({ items: z.array(job) }) } },
      async handle() {
        const items = (await jobs.list()).map((status) => ({
          name: status.name,
          summary: status.summary,
          scope: status.scope,
          intervalSeconds: status.intervalSeconds,
          scheduled: status.scheduled,
          lastRun: status.lastRun
            ? {
                startedAt: status.lastRun.startedAt.toISOString(),
                finishedAt: status.lastRun.finishedAt.toISOString(),
                outcome: status.lastRun.outcome,
                rows: status.lastRun.rows,
                durationMs: status.lastRun.durationMs,
                error: status.lastRun.error,
                lastSuccessAt: iso(status.lastRun.lastSuccessAt),
              }
            : null,
        }));
        return ok({ items });
      },
    }),
    adminRoute({
      method: 'post',
      path: '/jobs/{name}/run',
      operationId: 'runJob',
      summary: 'Run a job once now, due or not (cluster jobs still one instance at a time: 409 while one runs)',
      tag: 'Jobs',
      params: z.object({ name: z.string().regex(/^[a-z][a-z0-9.-]{0,63}$/) }),
      responses: { 200: { description: 'What the run did; a failed run is reported here, not as an error status', schema: report } },
      handle: async ({ params }) => ok(reportBody(await jobs.runOnce(params.name))),
    }),
  ];
}
