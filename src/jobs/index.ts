/**
 * Everything periodic in Gatehouse: named jobs with an interval and jitter, one scheduler, one
 * advisory lock per cluster job, stopped in the shutdown order; each also runnable once by hand
 * (`gatehouse jobs run NAME`, `POST /admin/v1/jobs/{name}/run`).
 *
 * @example
 * const jobs = startJobs({
 *   jobs: gatehouseJobs({ config, audit, registration, oidcPayloads, emailTokens, keyRefresh }),
 *   store: queries.jobs, clock, logger, observe: metrics.jobFinished,
 *   scheduled: (job) => job.scope === 'instance' || config.jobs.enabled,
 * });
 * await jobs.runOnce('tokens.delete-expired'); // { outcome: 'success', rows, durationMs, ... }
 * await jobs.stop();
 */
import type { AuditTrail } from '../audit/index.ts';
import type { Config } from '../config.ts';
import type { RegistrationService } from '../registration/index.ts';
import type { EmailTokenQueries } from '../storage/queries/email-tokens.ts';
import type { OidcPayloadQueries } from '../storage/queries/oidc-payloads.ts';
import { auditRetentionJob } from './audit-retention.ts';
import { expiredTokensJob } from './expired-tokens.ts';
import type { Job } from './job.ts';
import { keyRefreshJob } from './key-refresh.ts';
import { createJobRunner, type JobRunner } from './runner.ts';
import { unusedClientsJob } from './unused-clients.ts';
import { webhookDeliveryJob } from './webhook-delivery.ts';

export type { Job, JobContext, JobReport, JobResult, JobScope, SkipReason } from './job.ts';
export { KEY_REFRESH_JOB } from './key-refresh.ts';
export { createJobRunner, type JobRunner, type JobStatus, type JobStore } from './runner.ts';

/**
 * Gatehouse's jobs. `keyRefresh` is given by a server (it has a provider to rebuild); a CLI
 * process has none, so its set holds the cluster jobs only.
 */
export function gatehouseJobs(deps: {
  config: Pick<Config, 'jobs' | 'auditRetentionDays' | 'dcr'>;
  audit: Pick<AuditTrail, 'prune'>;
  registration: Pick<RegistrationService, 'sweepUnusedClients'>;
  oidcPayloads: Pick<OidcPayloadQueries, 'deleteExpired'>;
  emailTokens: Pick<EmailTokenQueries, 'deleteExpired'>;
  keyRefresh?: Parameters<typeof keyRefreshJob>[0];
  /** The webhook outbox's sender (a server has one; the CLI sends nothing). */
  webhooks?: Parameters<typeof webhookDeliveryJob>[0];
}): Job[] {
  const { config } = deps;
  return [
    ...(deps.keyRefresh ? [keyRefreshJob(deps.keyRefresh)] : []),
    ...(deps.webhooks ? [webhookDeliveryJob(deps.webhooks)] : []),
    expiredTokensJob({
      oidcPayloads: deps.oidcPayloads.deleteExpired,
      emailTokens: deps.emailTokens.deleteExpired,
      batchSize: config.jobs.batchSize,
      graceSeconds: config.jobs.expiredGraceSeconds,
      intervalSeconds: config.jobs.tokenCleanupInterval,
    }),
    auditRetentionJob({
      audit: deps.audit,
      retentionDays: config.auditRetentionDays,
      batchSize: config.jobs.batchSize,
      intervalSeconds: config.jobs.auditPruneInterval,
    }),
    // Last use is recorded only while registration is on (gatehouse.ts), so only then can the sweep
    // tell an unused client from a busy one.
    ...(config.dcr.enabled ? [unusedClientsJob({ registration: deps.registration, intervalSeconds: config.jobs.clientSweepInterval })] : []),
  ];
}

/** Builds the runner and starts the timers of the jobs `scheduled` selects (all by default). */
export function startJobs(deps: Parameters<typeof createJobRunner>[0] & { scheduled?: (job: Job) => boolean }): JobRunner {
  const runner = createJobRunner(deps);
  runner.start(deps.scheduled);
  return runner;
}
