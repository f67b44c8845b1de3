/**
 * The admin API in the CLI's own process, for when no server runs here: storage opened with the
 * server's configuration (migrated first, under the advisory lock), services built without the
 * OIDC provider, and the same route records dispatched as the operator. Loaded only then.
 */
import { OPERATOR } from '../admin/auth.ts';
import { type AdminRequest, type AdminResponse, createAdminDispatcher } from '../admin/dispatch.ts';
import { adminRoutes } from '../admin/routes.ts';
import { systemClock } from '../clock.ts';
import type { Config } from '../config.ts';
import { buildJobs } from '../job-set.ts';
import { createJobRunner } from '../jobs/index.ts';
import { createLogger } from '../logger.ts';
import { openContext, quietLevel } from './context.ts';
import { unavailableIfKnown } from './unavailable.ts';

export async function openInProcess(config: Config): Promise<{ dispatch(request: AdminRequest): Promise<AdminResponse>; close(): Promise<void> }> {
  // Info lines (each audit event) would bury the command's own output.
  const logger = createLogger({ level: quietLevel(config) });
  const context = await openContext(config, logger).catch((error: unknown) => {
    throw unavailableIfKnown(error, config);
  });
  // The cluster jobs, run here under the same advisory locks as the servers' own turns (no timers).
  const { services, storage } = context;
  const jobs = createJobRunner({
    // The same jobs a server runs (job-set.ts), but key refresh: no provider here to rebuild.
    jobs: buildJobs({ config, storage, services, secrets: context.secrets, clock: systemClock, logger }),
    store: storage.queries.jobs,
    clock: systemClock,
    logger,
  });
  const dispatch = createAdminDispatcher({ routes: adminRoutes(services, jobs), logger });
  return { dispatch: (request) => dispatch(request, OPERATOR), close: context.close };
}
