import type { JobRunner } from '../jobs/index.ts';
import type { Services } from '../services.ts';
import { apiRoutes } from './resources/apis.ts';
import { auditRoutes } from './resources/audit.ts';
import { clientRoutes } from './resources/clients.ts';
import { idpRoutes } from './resources/idps.ts';
import { initialAccessTokenRoutes } from './resources/initial-access-tokens.ts';
import { jobRoutes } from './resources/jobs.ts';
import { keyRoutes } from './resources/keys.ts';
import { roleRoutes } from './resources/roles.ts';
import { userRoutes } from './resources/users.ts';
import { webhookRoutes } from './resources/webhooks.ts';
import type { AdminRoute } from './route.ts';

/**
 * Every admin operation as a route record: the HTTP router, the admin socket, the CLI (commands,
 * flags and help) and the OpenAPI document are all built from this one list. Handlers read
 * `services` (and `jobs`) when they run, so the records can be listed without building any service.
 */
export function adminRoutes(services: Services, jobs: JobRunner): AdminRoute[] {
  return [
    ...userRoutes(services),
    ...clientRoutes(services),
    ...apiRoutes(services),
    ...keyRoutes(services),
    ...auditRoutes(services),
    ...roleRoutes(services),
    ...initialAccessTokenRoutes(services),
    ...jobRoutes(jobs),
    ...idpRoutes(services),
    ...webhookRoutes(services),
  ];
}
