/**
 * Composition root: config → Gatehouse (storage, services, provider, app) → listen.
 * Shutdown order on SIGTERM/SIGINT: stop accepting, finish in-flight requests, close stores.
 */
// First: sizes libuv's threadpool before anything uses it.
import './threadpool.ts';
import { createServer, type Server } from 'node:http';
import Koa from 'koa';
import { OPERATOR } from './admin/auth.ts';
import { createAdminDispatcher } from './admin/dispatch.ts';
import { adminRoutes } from './admin/routes.ts';
import { type AdminSocket, adminSocketPath, serveAdminSocket } from './admin/socket.ts';
import { type Config, ConfigError, loadConfigFromProcess } from './config.ts';
import { createGatehouse } from './gatehouse.ts';
import { createLogger } from './logger.ts';
import { metricsRouter } from './ops/routes.ts';
import { describeStartError } from './start-errors.ts';

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

/** Resolves once listening; a busy or forbidden port rejects (start-errors.ts words it). */
function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function main(config: Config): Promise<void> {
  const logger = createLogger({ level: config.logLevel });
  const gatehouse = await createGatehouse(config, { logger });
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, gatehouse.app.callback());
  server.keepAliveTimeout = 5000;
  try {
    await listen(server, config.port, config.host);
  } catch (error) {
    await gatehouse.close();
    throw error;
  }

  // Optional private metrics listener (bind the port to an internal interface at the platform level).
  let metricsServer: ReturnType<typeof createServer> | undefined;
  if (config.metrics.port) {
    const router = metricsRouter(gatehouse.metrics, config.metrics.token);
    const metricsApp = new Koa();
    metricsApp.use(router.routes());
    metricsServer = createServer(metricsApp.callback());
    await listen(metricsServer, config.metrics.port, config.host);
  }

  // The CLI on this machine sends its admin requests here (embedded mode: PGlite is ours alone).
  const dispatch = createAdminDispatcher({ routes: adminRoutes(gatehouse.services), logger });
  const adminSocket: AdminSocket | undefined = await serveAdminSocket({
    path: adminSocketPath(config.dataDir),
    dispatch: (request) => dispatch(request, OPERATOR),
    logger,
    maxRequestBytes: config.bodyLimitBytes,
  }).catch((error: unknown) => {
    logger.warn({ reason: describeStartError(error) }, 'no admin socket: the CLI cannot reach this server');
    return undefined;
  });

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
        "    printf '%s' 'a long passphrase here' | npx gatehouse users create --email you@example.com --password-stdin --verified",
        '    npx gatehouse clients create --name "My app" --type public --grant-types authorization_code,refresh_token \\',
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
    void adminSocket?.close();
    metricsServer?.close();
    server.close(async () => {
      await gatehouse.close();
      logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

const config = loadConfigOrExit();
main(config).catch((error: unknown) => {
  process.stderr.write(`gatehouse: ${describeStartError(error, { dataDir: config.dataDir, keysDir: config.keysDir })}\n`);
  process.exit(1);
});
