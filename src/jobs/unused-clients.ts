import type { RegistrationService } from '../registration/index.ts';
import type { Job } from './job.ts';

/**
 * Dynamically registered clients unused for GATEHOUSE_DCR_UNUSED_CLIENT_TTL are deleted (each
 * with a conditional delete and its audit event, see registration/), at most one sweep batch a run.
 */
export function unusedClientsJob(deps: { registration: Pick<RegistrationService, 'sweepUnusedClients'>; intervalSeconds: number }): Job {
  return {
    name: 'clients.sweep-unused',
    summary: 'Delete dynamically registered clients nobody used for GATEHOUSE_DCR_UNUSED_CLIENT_TTL',
    scope: 'cluster',
    intervalSeconds: deps.intervalSeconds,
    async run({ now }) {
      const deleted = await deps.registration.sweepUnusedClients(now);
      return { rows: deleted.length, details: { clientIds: deleted } };
    },
  };
}
