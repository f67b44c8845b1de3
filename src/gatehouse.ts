/**
 * Assembles a Gatehouse server from a config: secrets → storage → services → provider → app.
 * `main.ts` listens on it; the test harness mounts it on a port it already holds.
 */
import type Koa from 'koa';
import { ADMIN_READ_SCOPE, ADMIN_WRITE_SCOPE, adminAudience, createAdminApi, ensureAdminApi } from './admin/index.ts';
import { createApp } from './app.ts';
import { type Clock, systemClock } from './clock.ts';
import type { Config } from './config.ts';
import { consoleGroup } from './console/routes.ts';
import { resolveSecrets } from './dev-secrets.ts';
import { createViews } from './http/views.ts';
import { buildJobs } from './job-set.ts';
import { type JobRunner, startJobs } from './jobs/index.ts';
import type { KeyView } from './keys/index.ts';
import type { Logger } from './logger.ts';
import { clientMetadataValidator } from './oidc/client-metadata.ts';
import { createJwksDocument } from './oidc/jwks-endpoint.ts';
import { createLiveProvider, type LiveProvider } from './oidc/live-provider.ts';
import { createProvider } from './oidc/provider.ts';
import { createMetrics, type Metrics } from './ops/metrics.ts';
import { buildServices, type Secrets, type Services } from './services.ts';
import { openAndMigrate, type Storage } from './storage/index.ts';

export interface Gatehouse {
  app: Koa;
  config: Config;
  services: Services;
  storage: Storage;
  provider: LiveProvider;
  /** Periodic work: the key refresh on this instance, and its turns at the cluster jobs. */
  jobs: JobRunner;
  metrics: Metrics;
  close(): Promise<void>;
}

export { resolveSecrets } from './dev-secrets.ts';

export async function createGatehouse(
  config: Config,
  options: {
    logger: Logger;
    clock?: Clock;
    secrets?: Secrets;
    inMemoryEmbedded?: boolean;
    /** With inMemoryEmbedded: start from this dump of a migrated data directory (tests). */
    embeddedTemplate?: Blob;
    /** Shutting down: readiness fails. */
    isDraining?: () => boolean;
  },
): Promise<Gatehouse> {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const secrets = options.secrets ?? resolveSecrets(config);
  const storage = await openAndMigrate(config, {
    inMemoryEmbedded: options.inMemoryEmbedded ?? false,
    embeddedTemplate: options.embeddedTemplate,
    onConnectionProblem: (store, message) => logger.warn({ event: 'store.connection_problem', store, message }, 'store connection problem'),
  });
  try {
    let keyView: KeyView | undefined;
    const metrics = createMetrics({
      signingKeyAges: () =>
        Object.fromEntries(
          Object.entries(keyView?.signingSince ?? {}).map(([alg, since]) => [alg, (clock.now().getTime() - since.getTime()) / 1000]),
        ),
      databasePool: () => {
        const pool = (storage.db.client as { pool?: { numUsed(): number; numFree(): number; numPendingAcquires(): number } }).pool;
        return pool ? { used: pool.numUsed(), free: pool.numFree(), pending: pool.numPendingAcquires() } : undefined;
      },
      redisReady: () => (storage.redis ? storage.redis.status === 'ready' : undefined),
    });
    let liveProvider: LiveProvider | undefined;
    const services = buildServices({
      config,
      storage,
      clock,
      logger,
      secrets,
      observeAudit: (event) => metrics.securityEvent(event.type, event.outcome),
      observePasswordOperation: metrics.passwordOperation,
      validateClientMetadata: clientMetadataValidator(() => liveProvider?.current()),
    });
    await services.keys.ensureSigningKeys({ wait: true });
    const accountClientId = await services.clients.ensureAccountClient(config.issuer);
    await ensureAdminApi(services, config.issuer);
    const consoleClientId = await services.clients.ensureConsoleClient(config.issuer, {
      identifier: adminAudience(config.issuer),
      scopes: [ADMIN_READ_SCOPE, ADMIN_WRITE_SCOPE],
    });
    const initialKeys = await services.keys.currentView();
    keyView = initialKeys;
    const views = createViews({ theme: config.theme });
    // oidc-provider takes its keys at construction: a new key set means a new provider.
    const buildProvider = (keys: KeyView) => {
      const provider = createProvider({
        config,
        cookieKeys: secrets.cookieKeys,
        privateJwks: keys.providerJwks,
        storage: {
          payloads: storage.queries.oidcPayloads,
          // An API's introspection credentials authenticate like a client (apis/credentials.ts).
          clients: { find: async (id) => (await services.clients.findMetadata(id)) ?? services.apis.introspectionClient(id) },
          oidcModels: storage.keyspaces.oidcModels,
          sessions: storage.keyspaces.sessions,
          clock,
          serverSecret: secrets.keyEncryptionSecret,
        },
        accounts: services.accounts,
        idpOf: services.federation.idpOf,
        apis: services.apis,
        rbac: services.rbac,
        importedClientSecrets: { accept: services.clients.acceptImportedSecret },
        audit: services.audit,
        security: services.security,
        views,
        logger,
        clock,
        countOAuthError: metrics.oauthError,
      });
      provider.on('grant.success', (ctx: { oidc: { params?: Record<string, unknown> } }) =>
        metrics.tokenIssued(String(ctx.oidc.params?.grant_type ?? '')),
      );
      if (config.dcr.enabled) {
        // Last use of dynamically registered clients (at most one write per client and hour).
        provider.on('grant.success', (ctx: { oidc: { client?: { clientId: string } } }) => {
          const clientId = ctx.oidc.client?.clientId;
          if (clientId) services.registration.noteClientUsed(clientId).catch((err: unknown) => logger.warn({ err, clientId }, 'could not record client use'));
        });
      }
      return provider;
    };
    const provider = createLiveProvider(buildProvider(initialKeys));
    liveProvider = provider;
    const jwks = createJwksDocument(initialKeys, { path: '/jwks', maxAge: config.keys.jwksMaxAge });
    const jobs = startJobs({
      jobs: buildJobs({
        config,
        storage,
        services,
        secrets,
        clock,
        logger,
        keyRefresh: {
          keys: services.keys,
          initial: initialKeys,
          pollSeconds: config.keys.pollInterval,
          logger,
          apply: (keys) => {
            keyView = keys;
            provider.replace(buildProvider(keys));
            jwks.update(keys);
          },
        },
      }),
      store: storage.queries.jobs,
      clock,
      logger,
      observe: metrics.jobFinished,
      // Every instance refreshes its own keys; the cluster jobs only where the operator lets them.
      scheduled: (job) => job.scope === 'instance' || config.jobs.enabled,
    });
    const admin = createAdminApi({ config, services, jobs, publicJwks: () => keyView?.publicJwks ?? [], logger, clock });
    const consoleRoutes = consoleGroup({
      issuer: config.issuer,
      clientId: consoleClientId,
      adminAudience: adminAudience(config.issuer),
      admin,
      sessions: storage.keyspaces.consoleSessions,
      views,
      logger,
      secureCookies: config.production,
      bodyLimitBytes: config.bodyLimitBytes,
    });
    const app = createApp({
      admin: admin.router,
      console: consoleRoutes,
      config,
      logger,
      services,
      provider,
      views,
      cookieKeys: secrets.cookieKeys,
      jwks: jwks.middleware(),
      metrics,
      accountClientId,
      clock,
      isDraining: options.isDraining,
      probes: [
        { name: 'database', check: storage.pingDatabase },
        { name: storage.kind === 'services' ? 'redis' : 'ephemeral-store', check: () => storage.kv.ping() },
      ],
    });
    // Mail leaves the outbox at once, and failed deliveries are retried every half minute.
    services.notifications.start(30);
    return {
      app,
      config,
      services,
      storage,
      provider,
      jobs,
      metrics,
      close: async () => {
        await jobs.stop();
        await services.background.drain();
        await services.notifications.stop();
        await services.audit.flush();
        await storage.close();
      },
    };
  } catch (error) {
    await storage.close();
    throw error;
  }
}
