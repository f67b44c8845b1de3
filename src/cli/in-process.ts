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
import { resolveSecrets } from '../dev-secrets.ts';
import { createLogger } from '../logger.ts';
import { buildServices } from '../services.ts';
import { describeStartError } from '../start-errors.ts';
import { migrateToLatest, openStorage, type Storage } from '../storage/index.ts';
import { Unavailable } from './transport.ts';

export async function openInProcess(config: Config): Promise<{ dispatch(request: AdminRequest): Promise<AdminResponse>; close(): Promise<void> }> {
  // Info lines (each audit event) would bury the command's own output.
  const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel });
  let storage: Storage;
  try {
    storage = await openStorage(config);
  } catch (error) {
    throw new Unavailable(describeStartError(error, { dataDir: config.dataDir, keysDir: config.keysDir }), { cause: error });
  }
  try {
    await migrateToLatest(storage.db);
    const services = buildServices({ config, storage, clock: systemClock, logger, secrets: resolveSecrets(config) });
    const dispatch = createAdminDispatcher({ routes: adminRoutes(services), logger });
    return {
      dispatch: (request) => dispatch(request, OPERATOR),
      close: async () => {
        await services.audit.flush();
        await storage.close();
      },
    };
  } catch (error) {
    await storage.close();
    throw error;
  }
}
