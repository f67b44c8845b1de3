/**
 * Composition root: config → Gatehouse (storage, services, provider, app) → listen.
 * Shutdown order on SIGTERM/SIGINT: stop accepting and stop the jobs, finish in-flight requests,
 * close stores.
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

const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.logLevel });
  const gatehouse = await createGatehouse(config, { logger });
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, gatehouse.app.callback());
  server.keepAliveTimeout = 5000;
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
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS);
    force.unref();
    // No new job runs from now on; a running one stops after its current batch while requests drain.
    const jobsStopped = gatehouse.jobs.stop();
    adminSocket?.close();
    metricsServer?.close();
    server.close(async () => {
      await jobsStopped;
      await gatehouse.close();
      logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`gatehouse: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
