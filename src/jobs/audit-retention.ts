import type { AuditTrail } from '../audit/index.ts';
import type { Job } from './job.ts';

/**
 * GATEHOUSE_AUDIT_RETENTION_DAYS, applied without an operator: events past retention are removed
 * in batches, each leaving a checkpoint, so `gatehouse audit verify` still passes afterwards.
 */
export function auditRetentionJob(deps: { audit: Pick<AuditTrail, 'prune'>; retentionDays: number; batchSize: number; intervalSeconds: number }): Job {
  return {
    name: 'audit.prune',
    summary: `Remove audit events older than ${deps.retentionDays} days, leaving checkpoints that keep the chain verifiable`,
    scope: 'cluster',
    intervalSeconds: deps.intervalSeconds,
    async run({ signal }) {
      const rows = await deps.audit.prune(deps.retentionDays, { batchSize: deps.batchSize, signal });
      return { rows, details: { retentionDays: deps.retentionDays } };
    },
  };
}
