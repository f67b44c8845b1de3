/**
 * Composition root: config → Gatehouse (storage, services, provider, app) → listen.
 * Shutdown order on SIGTERM/SIGINT (ops/drain.ts): readiness 503, stop accepting and stop the
 * jobs, finish in-flight requests (kept-alive connections close after their response), then close
 * the stores; exit 0, or 1 if GATEHOUSE_SHUTDOWN_GRACE_SECONDS ran out first.
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
import { errorBoundary, problemRenderer } from './http/errors.ts';
import { createLogger } from './logger.ts';
import { createDrain } from './ops/drain.ts';
import { metricsRouter } from './ops/routes.ts';
import { describeStartError } from './start-errors.ts';
import { whileBootstrapping } from './storage/index.ts';

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
  const drain = createDrain();
  // Tracing first (the pg instrumentation patches pg as knex loads it); its SDK is loaded only if on.
  const tracing = config.tracing ? await (await import('./tracing/index.ts')).startTracing(config.tracing) : undefined;
  const gatehouse = await createGatehouse(config, { logger, isDraining: drain.isDraining });
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, gatehouse.app.callback());
  server.keepAliveTimeout = 5000;
  drain.track(server);
  // Admin requests run in this process: the CLI's over the socket, and the bootstrap file's.
  const dispatch = createAdminDispatcher({ routes: adminRoutes(gatehouse.services, gatehouse.jobs), logger });
  try {
    if (config.bootstrapFile) {
      // Loaded only when used: the YAML parser and the file schema are not on every start's path.
      const { applyBootstrapFile } = await import('./config-as-code/bootstrap.ts');
      await applyBootstrapFile({
        path: config.bootstrapFile,
        issuer: config.issuer,
        send: (request) => dispatch(request, OPERATOR),
        exclusively: (run) => whileBootstrapping(gatehouse.storage.db, run),
        logger,
      });
    }
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
    metricsApp.use(errorBoundary({ logger, render: problemRenderer({ realm: 'gatehouse-metrics' }) }));
    metricsApp.use(router.routes());
    metricsServer = createServer(metricsApp.callback());
    await listen(metricsServer, config.metrics.port, config.host);
  }

  // The CLI on this machine sends its admin requests here (embedded mode: PGlite is ours alone).
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
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const graceMs = config.shutdownGraceSeconds * 1000;
    logger.info({ signal, graceSeconds: config.shutdownGraceSeconds }, 'shutting down: draining');
    // Whatever happens below (a store that hangs on close), the process ends.
    setTimeout(() => process.exit(1), graceMs + STORE_CLOSE_DEADLINE_MS).unref();
    // No new job runs from now on; a running one stops after its current batch while requests drain.
    const jobsStopped = gatehouse.jobs.stop();
    void adminSocket?.close();
    metricsServer?.close();
    const drained = await drain.begin(graceMs);
    await jobsStopped;
    if (!drained) logger.warn({ graceSeconds: config.shutdownGraceSeconds }, 'grace period over: remaining connections cut');
    await gatehouse.close().catch((err: unknown) => logger.warn({ err }, 'closing the stores failed'));
    await tracing?.shutdown().catch((err: unknown) => logger.warn({ err }, 'sending the last spans failed'));
    logger.info('stopped');
    process.exit(drained ? 0 : 1);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

const config = loadConfigOrExit();
main(config).catch((error: unknown) => {
  process.stderr.write(`gatehouse: ${describeStartError(error, { dataDir: config.dataDir, keysDir: config.keysDir })}\n`);
  process.exit(1);
});
