import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Clock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import { createGatehouse, type Gatehouse } from '../../src/gatehouse.ts';
import { createLogger } from '../../src/logger.ts';
import { embeddedTemplate } from './embedded-template.ts';
import { storageEnv, storageMode } from './mode.ts';

/**
 * Test configuration. Password hashing is cheap here on purpose (m=1 MiB, t=1): the suite
 * hashes hundreds of passwords; production parameters are asserted in a unit test instead.
 */
export const TEST_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  GATEHOUSE_PASSWORD_MEMORY_KIB: '1024',
  GATEHOUSE_PASSWORD_TIME_COST: '1',
  LOG_LEVEL: 'info',
  // Cluster jobs (token cleanup, audit retention, client sweep) run when a test says so: a test
  // that moves the clock decides when cleanups see the new time. The key refresh still runs.
  GATEHOUSE_JOBS_ENABLED: 'false',
  // Webhook deliveries too (`jobs.runOnce('webhooks.deliver')`): in services mode every test
  // server shares the outbox, and another's timer would deliver a test's events under its config.
  GATEHOUSE_WEBHOOKS_POLL_INTERVAL: '86400',
};

export interface TestServer {
  url: string;
  gatehouse: Gatehouse;
  /** Every log line the server wrote, parsed. */
  logs: Array<Record<string, unknown>>;
  /** Raw log text, for "never logged" assertions. */
  rawLogs(): string;
  close(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string>;
  clock?: Clock;
}

/**
 * One key-encryption secret per test run (test/run.ts sets it): in services mode every test
 * process shares the run's database, and with it the sealed signing keys.
 */
const RUN_SECRET = process.env.GATEHOUSE_TEST_KEY_ENCRYPTION_SECRET ?? randomBytes(32).toString('base64url');

export function testSecrets() {
  return {
    keyEncryptionSecret: new Uint8Array(Buffer.from(RUN_SECRET, 'base64url')),
    cookieKeys: [randomBytes(32).toString('base64url')],
  };
}

/** Starts Gatehouse in this process on 127.0.0.1 with a free port; the issuer is that URL. */
export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const keysDir = mkdtempSync(join(tmpdir(), 'gatehouse-keys-'));
  const config = loadConfig({
    ...TEST_ENV,
    ...(await storageEnv()),
    GATEHOUSE_ISSUER: url,
    PORT: String(port),
    GATEHOUSE_KEYS_DIR: keysDir,
    ...options.env,
  });
  let raw = '';
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      raw += chunk.toString();
      callback();
    },
  });
  const logger = createLogger({ level: config.logLevel, destination });
  let gatehouse: Gatehouse;
  try {
    gatehouse = await createGatehouse(config, {
      logger,
      secrets: testSecrets(),
      inMemoryEmbedded: true,
      ...(config.storage.kind === 'embedded' && storageMode() === 'embedded' ? { embeddedTemplate: await embeddedTemplate() } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    });
  } catch (error) {
    server.close();
    rmSync(keysDir, { recursive: true, force: true });
    throw error;
  }
  server.on('request', gatehouse.app.callback());
  return {
    url,
    gatehouse,
    get logs() {
      return raw
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    rawLogs: () => raw,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gatehouse.close();
      rmSync(keysDir, { recursive: true, force: true });
    },
  };
}
