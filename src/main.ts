/**
 * Composition root: config → Gatehouse (storage, services, provider, app) → listen.
 * Shutdown order on SIGTERM/SIGINT (ops/drain.ts): readiness 503, stop accepting and stop the
 * jobs, finish in-flight requests (kept-alive connections close after their response), then close
 * the stores; exit 0, or 1 if GATEHOUSE_SHUTDOWN_GRACE_SECONDS ran out first.
 */
// First: sizes libuv's threadpool before anything uses it.
import './threadpool.ts';
import { createServer } from 'node:http';
import type { Server as SocketServer } from 'node:net';
import Koa from 'koa';
import { adminSocketPath, serveAdminSocket } from './cli/admin-socket.ts';
import { type Config, ConfigError, loadConfigFromProcess } from './config.ts';
import { createGatehouse } from './gatehouse.ts';
import { createLogger } from './logger.ts';
import { createDrain } from './ops/drain.ts';
import { metricsRouter } from './ops/routes.ts';

function loadConfigOrExit(): Config {
  try {
    return loadConfigFromProcess();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`gatehouse: configuration error: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/** After the grace period, closing the stores gets this long before the process exits anyway. */
const STORE_CLOSE_DEADLINE_MS = 5000;

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.logLevel });
  const drain = createDrain();
  const gatehouse = await createGatehouse(config, { logger, isDraining: drain.isDraining });
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, gatehouse.app.callback());
  server.keepAliveTimeout = 5000;
  drain.track(server);
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));

  // Optional private metrics listener (bind the port to an internal interface at the platform level).
  let metricsServer: ReturnType<typeof createServer> | undefined;
  if (config.metrics.port) {
    const router = metricsRouter(gatehouse.metrics, config.metrics.token);
    const metricsApp = new Koa();
    metricsApp.use(router.routes());
    metricsServer = createServer(metricsApp.callback());
    await new Promise<void>((resolve) => metricsServer?.listen(config.metrics.port, config.host, resolve));
  }

  let adminSocket: SocketServer | undefined;
  if (config.storage.kind === 'embedded') {
    // The CLI cannot open PGlite while we hold it; it hands its commands to us instead.
    adminSocket = await serveAdminSocket(adminSocketPath(config.storage.dataDir), ({ out, secret }) => ({
      config,
      storage: gatehouse.storage,
      appliedMigrations: [],
      services: gatehouse.services,
      logger,
      out,
      readSecret: async () => {
        if (secret === undefined) throw new Error('no secret was sent');
        return secret;
      },
    }));
  }

  const mode = config.storage.kind === 'embedded' ? `embedded (data in ${config.storage.dataDir})` : 'Postgres + Redis';
  logger.info({ issuer: config.issuer, mode }, 'gatehouse listening');
  if (config.production && !config.mail.smtpUrl) {
    logger.warn({ outbox: config.mail.outboxDir }, 'SMTP_URL is not set: mails are written to the outbox folder, not delivered');
  }
  if (!config.production) {
    process.stdout.write(
      [
        '',
        `  Gatehouse is running at ${config.issuer}  [${mode}]`,
        `  Discovery: ${config.issuer}/.well-known/openid-configuration`,
        '',
        '  Create a user and a client (in another terminal):',
        "    printf '%s' 'a long passphrase here' | npm run cli -- users create --email you@example.com --password-stdin --verified",
        '    npm run cli -- clients create --name "My app" --type public --grant-types authorization_code,refresh_token \\',
        '      --redirect-uris http://127.0.0.1:8080/callback --scopes openid,email,offline_access',
        '',
      ].join('\n'),
    );
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const graceMs = config.shutdownGraceSeconds * 1000;
    logger.info({ signal, graceSeconds: config.shutdownGraceSeconds }, 'shutting down: draining');
    // Whatever happens below (a store that hangs on close), the process ends.
    setTimeout(() => process.exit(1), graceMs + STORE_CLOSE_DEADLINE_MS).unref();
    // No new job runs from now on; a running one stops after its current batch while requests drain.
    const jobsStopped = gatehouse.jobs.stop();
    adminSocket?.close();
    metricsServer?.close();
    const drained = await drain.begin(graceMs);
    await jobsStopped;
    if (!drained) logger.warn({ graceSeconds: config.shutdownGraceSeconds }, 'grace period over: remaining connections cut');
    await gatehouse.close().catch((err: unknown) => logger.warn({ err }, 'closing the stores failed'));
    logger.info('stopped');
    process.exit(drained ? 0 : 1);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`gatehouse: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
