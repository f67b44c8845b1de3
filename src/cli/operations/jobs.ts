import type { OperationSpec } from '../operation-spec.ts';
import { table } from '../output.ts';

interface JobStatus {
  name: string;
  summary: string;
  scope: 'cluster' | 'instance';
  intervalSeconds: number;
  lastRun: { startedAt: string; outcome: string; rows: number } | null;
}

interface JobReport {
  job: string;
  outcome: 'success' | 'failure' | 'skipped';
  rows?: number;
  durationMs?: number;
  error?: string;
  reason?: string;
}

export const jobCommands: Record<string, OperationSpec> = {
  listJobs: {
    command: 'jobs list',
    examples: ['gatehouse jobs list', 'gatehouse jobs list --json | jq -r \'.[] | "\\(.name) \\(.lastRun.outcome // "never")"\''],
    show: (jobs) =>
      table(jobs as JobStatus[], {
        name: (j) => j.name,
        scope: (j) => j.scope,
        every: (j) => `${j.intervalSeconds}s`,
        last_run: (j) => j.lastRun?.startedAt ?? 'never',
        outcome: (j) => j.lastRun?.outcome ?? null,
        rows: (j) => (j.lastRun ? String(j.lastRun.rows) : null),
        summary: (j) => j.summary,
      }),
  },
  runJob: {
    command: 'jobs run',
    args: [{ name: 'NAME', field: 'name', description: 'The job (from `jobs list`), e.g. tokens.delete-expired.' }],
    examples: ['gatehouse jobs run tokens.delete-expired', 'gatehouse jobs run audit.prune --json'],
    show: (result) => {
      const run = result as JobReport;
      if (run.outcome === 'skipped') return `${run.job}: not run (${run.reason})`;
      if (run.outcome === 'failure') return `${run.job}: failed after ${run.durationMs} ms: ${run.error}`;
      return `${run.job}: done in ${run.durationMs} ms, ${run.rows} rows`;
    },
    exitCode: (result) => ((result as JobReport).outcome === 'failure' ? 1 : 0),
  },
};
