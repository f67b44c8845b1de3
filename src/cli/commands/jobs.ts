import { systemClock } from '../../clock.ts';
import { createJobRunner, gatehouseJobs, KEY_REFRESH_JOB } from '../../jobs/index.ts';
import { type CommandContext, parse, table, UsageError } from '../context.ts';

/**
 * `jobs list` and `jobs run NAME`: the cluster jobs, run by this process under the same lock as
 * the servers' own turns (in embedded mode the running server executes the command itself).
 */
export async function jobsCommand(ctx: CommandContext, args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parse(rest, { json: { type: 'boolean' } });
  const { services, storage, config, logger } = ctx;
  const jobs = gatehouseJobs({
    config,
    audit: services.audit,
    registration: services.registration,
    oidcPayloads: storage.queries.oidcPayloads,
    emailTokens: storage.queries.emailTokens,
  });
  const runner = createJobRunner({ jobs, store: storage.queries.jobs, clock: systemClock, logger });
  if (sub === 'list') {
    const rows = (await runner.list()).map((job) => ({
      name: job.name,
      every: `${job.intervalSeconds}s`,
      last_run: job.lastRun?.startedAt.toISOString() ?? 'never',
      outcome: job.lastRun?.outcome ?? '',
      rows: job.lastRun?.rows ?? '',
      summary: job.summary,
    }));
    if (values.json) return ctx.out(JSON.stringify(rows));
    ctx.out(`${table(rows)}\n(${KEY_REFRESH_JOB} runs inside every server instance, every ${config.keys.pollInterval}s)`);
    return;
  }
  const name = positionals[0];
  if (sub === 'run' && name) {
    if (!jobs.some((job) => job.name === name)) {
      throw new UsageError(
        name === KEY_REFRESH_JOB
          ? `${name} runs inside each server instance; POST /admin/v1/jobs/${name}/run runs it on the instance that answers`
          : `unknown job ${name} (gatehouse jobs list)`,
      );
    }
    const report = await runner.runOnce(name);
    if (values.json) return ctx.out(JSON.stringify(report));
    if (report.outcome === 'success') ctx.out(`${name}: ${report.rows} rows in ${report.durationMs} ms ${JSON.stringify(report.details ?? {})}`);
    else if (report.outcome === 'skipped') ctx.out(`${name}: not run (${report.reason})`);
    else throw new Error(`${name} failed: ${report.error}`);
    return;
  }
  throw new UsageError('jobs list [--json] | jobs run NAME [--json]');
}
