/**
 * The jobs of a Gatehouse, built one way for the server (gatehouse.ts, on timers) and for the CLI
 * with no server running (cli/in-process.ts, run once by hand): `gatehouse jobs run NAME` knows
 * every job a server runs. Only key refresh is the server's alone (it has a provider to rebuild).
 */
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import { gatehouseJobs, type Job } from './jobs/index.ts';
import type { Logger } from './logger.ts';
import { isSpecialUseRefusal, specialUseGuardDispatcher } from './oidc/internals.ts';
import type { Secrets, Services } from './services.ts';
import type { Storage } from './storage/index.ts';
import { createWebhookDelivery } from './webhooks/index.ts';

export function buildJobs(deps: {
  config: Config;
  storage: Storage;
  services: Services;
  secrets: Secrets;
  clock: Clock;
  logger: Logger;
  keyRefresh?: Parameters<typeof gatehouseJobs>[0]['keyRefresh'];
}): Job[] {
  const { config, storage, services } = deps;
  // Webhook receivers obey the private-network policy of every other outbound call.
  const hookDispatcher = config.outboundAllowPrivate ? undefined : specialUseGuardDispatcher();
  const webhookDelivery = createWebhookDelivery({
    webhooks: storage.queries.webhooks,
    keyEncryptionSecret: deps.secrets.keyEncryptionSecret,
    clock: deps.clock,
    logger: deps.logger,
    fetch: (url, init) => fetch(url, { ...init, ...(hookDispatcher ? { dispatcher: hookDispatcher } : {}) } as RequestInit),
    isPolicyRefusal: isSpecialUseRefusal,
    maxAttempts: config.webhooks.maxAttempts,
    retryBaseSeconds: config.webhooks.retryBaseSeconds,
    timeoutSeconds: config.webhooks.timeoutSeconds,
  });
  return gatehouseJobs({
    config,
    audit: services.audit,
    registration: services.registration,
    oidcPayloads: storage.queries.oidcPayloads,
    emailTokens: storage.queries.emailTokens,
    webhooks: { webhooks: webhookDelivery, intervalSeconds: config.webhooks.pollInterval },
    ...(deps.keyRefresh ? { keyRefresh: deps.keyRefresh } : {}),
  });
}
