/**
 * The servers under test: bare oidc-provider (bench/peer-server.ts) and Gatehouse in embedded or
 * services mode, each set up through its public interfaces only (the CLI, then HTTP).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { ALL_CPUS, baseEnv, freePort, onCleanup, PINNED, ROOT, type Server, startServer, stopProcess, waitUntil } from './process.ts';
import type { ShippedSettings } from './shipped-settings.ts';

export const API = 'https://api.bench.example';
export const REDIRECT_URI = 'http://127.0.0.1:9/callback';
const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface Credentials {
  clientId: string;
  clientSecret: string;
}

export interface Target {
  name: string;
  url: string;
  server: Server;
  /** The client_credentials client (Basic header), for /token and the peer's introspection. */
  authorization: string;
}

export interface PeerTarget extends Target {
  /** The refresh-token client (bench/peer-server.ts); its secret also guards the chain setup route. */
  web: Credentials;
}

export interface GatehouseTarget extends Target {
  /** Authorization-code + refresh client (present when `webClient` was asked for). */
  web?: Credentials;
  /** Pre-created users, all with verified email (present when `users` was asked for). */
  users: Array<{ email: string; password: string }>;
  /** The server's environment: the CLI run with it talks to this server over its admin socket. */
  env: Record<string, string | undefined>;
  /** Wall seconds of each `users create` during setup (against the setup instance). */
  userCreateSeconds: number[];
}

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

export async function startPeer(extra: { env?: Record<string, string>; nodeArgs?: string[] } = {}): Promise<PeerTarget> {
  const clientId = 'bench';
  const webClientId = 'bench-web';
  const clientSecret = randomBytes(32).toString('base64url');
  const server = startServer(
    'oidc-provider (peer)',
    ['bench/peer-server.ts'],
    { ...baseEnv, ...extra.env, BENCH_CLIENT_ID: clientId, BENCH_WEB_CLIENT_ID: webClientId, BENCH_CLIENT_SECRET: clientSecret },
    extra.nodeArgs,
  );
  let url = '';
  server.child.stdout!.on('data', (chunk: Buffer) => {
    url ||= /READY (\S+)/.exec(chunk.toString())?.[1] ?? '';
  });
  await waitUntil(server, async () => url !== '', 'oidc-provider peer');
  return { name: server.name, url, authorization: basic(clientId, clientSecret), server, web: { clientId: webClientId, clientSecret } };
}

const run = promisify(execFile);

/** Runs `async work(item)` over `items`, at most `limit` at a time. */
export async function pool<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export interface GatehouseOptions {
  /** Mode variables: {} for embedded, the result of prepareServices() for services. */
  modeEnv: Record<string, string>;
  /** More server variables (e.g. GATEHOUSE_TRUST_PROXY). */
  extraEnv?: Record<string, string>;
  /** Also register an authorization_code + refresh_token client. */
  webClient?: boolean;
  /** How many users to create (verified email, random password). */
  users?: number;
  /** Node flags for the server process (bench/profile.ts preloads its probe). */
  nodeArgs?: string[];
  /** Runtime settings of the measured instance (the Dockerfile's: bench/lib/shipped-settings.ts). */
  settings?: ShippedSettings;
}

/** Registers the API, clients and users with the CLI (through a setup instance), then starts the measured server. */
export async function startGatehouse(name: string, options: GatehouseOptions): Promise<GatehouseTarget> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-'));
  onCleanup(() => rm(dir, { recursive: true, force: true }));
  const port = await freePort();
  const env = {
    ...baseEnv,
    ...options.modeEnv,
    ...options.extraEnv,
    PORT: String(port),
    GATEHOUSE_ISSUER: `http://127.0.0.1:${port}`,
    GATEHOUSE_DATA_DIR: join(dir, 'data'),
    GATEHOUSE_KEYS_DIR: join(dir, 'keys'),
    // Request logging at info would be part of the measurement; warnings still show up.
    LOG_LEVEL: 'warn',
  };
  // Setup happens before any measurement, through a setup instance of the server: every CLI call
  // goes to it over its admin socket (the password policy loads once, not once per user), and the
  // measured instance starts afterwards untouched (its idle memory is part of the results).
  const url = `http://127.0.0.1:${port}`;
  const setup = startServer(`${name} (setup)`, ['src/main.ts'], env);
  await waitUntil(setup, async () => (await fetch(`${url}/healthz`)).ok, `${name} (setup)`);
  const [command, prefix] = PINNED ? ['taskset', ['-c', ALL_CPUS, process.execPath]] : [process.execPath, []];
  const cli = async (args: string[], input?: string) => {
    const pending = run(command, [...prefix, 'src/cli/main.ts', ...args], { cwd: ROOT, env });
    if (input !== undefined) pending.child.stdin!.end(input);
    return (await pending).stdout;
  };
  await cli(['apis', 'create', '--identifier', API, '--name', 'Bench', '--scopes', 'read']);
  /** `clients create --json` prints the admin API's answer: `{ client, clientSecret }`. */
  const credentials = (json: string): Credentials => {
    const created = JSON.parse(json) as { client: { clientId: string }; clientSecret: string };
    return { clientId: created.client.clientId, clientSecret: created.clientSecret };
  };
  const machine = credentials(
    await cli(['clients', 'create', '--name', 'bench', '--type', 'confidential', '--grant-types', 'client_credentials',
      '--resources', API, '--scopes', 'read', '--json']),
  );
  let web: Credentials | undefined;
  if (options.webClient) {
    web = credentials(
      await cli(['clients', 'create', '--name', 'bench-web', '--type', 'confidential',
        '--grant-types', 'authorization_code,refresh_token', '--redirect-uris', REDIRECT_URI,
        '--scopes', 'openid,offline_access,email,profile', '--json']),
    );
  }
  // One CLI process per user (the setup server hashes each password with argon2id); a few at a time.
  const users = Array.from({ length: options.users ?? 0 }, (_, i) => ({
    email: `bench-user-${i}@bench.example`,
    password: `bench-${randomBytes(12).toString('base64url')}`,
  }));
  const userCreateSeconds = await pool(users, 4, async (user) => {
    const started = performance.now();
    await cli(['users', 'create', '--email', user.email, '--password-stdin', '--verified'], `${user.password}\n`);
    return (performance.now() - started) / 1000;
  });
  await stopProcess(setup.child);

  const measuredEnv = { ...env, ...options.settings?.env };
  const server = startServer(name, ['src/main.ts'], measuredEnv, [...(options.settings?.nodeArgs ?? []), ...(options.nodeArgs ?? [])]);
  await waitUntil(server, async () => (await fetch(`${url}/healthz`)).ok, name);
  return { name, url, server, authorization: basic(machine.clientId, machine.clientSecret), web, users, env: measuredEnv, userCreateSeconds };
}

/**
 * Short-lived admin connections, opened again for cleanup: an idle one held through minutes of
 * load could drop and take the cleanup (or, via an unhandled 'error' event, the run) with it.
 */
async function withPostgres(work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await work(client);
  } finally {
    await client.end().catch(() => {});
  }
}

async function withRedis(work: (redis: Redis) => Promise<unknown>): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 1, retryStrategy: () => null });
  // Failures surface through the awaited commands; keep the socket error, which says more than theirs.
  let socketError: Error | undefined;
  redis.on('error', (error: Error) => {
    socketError ??= error;
  });
  try {
    await redis.connect();
    await work(redis);
  } catch (error) {
    throw socketError ?? error;
  } finally {
    redis.disconnect();
  }
}

/** A fresh database and Redis prefix (removed at cleanup), or the reason services mode cannot run here. */
export async function prepareServices(): Promise<Record<string, string> | string> {
  const suffix = randomBytes(4).toString('hex');
  const database = `gatehouse_bench_${suffix}`;
  const prefix = `gatehouse-bench-${suffix}:`;
  try {
    await withRedis((redis) => redis.ping());
  } catch (error) {
    return `Redis at ${REDIS_URL}: ${(error as Error).message}`;
  }
  try {
    await withPostgres((client) => client.query(`CREATE DATABASE ${database}`));
  } catch (error) {
    return `Postgres at ${POSTGRES_ADMIN_URL}: ${(error as Error).message}`;
  }
  onCleanup(() => withPostgres((client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)));
  onCleanup(() =>
    withRedis(async (redis) => {
      for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 1000 }) as AsyncIterable<string[]>) {
        if (keys.length > 0) await redis.del(...keys);
      }
    }),
  );

  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${database}`;
  return { DATABASE_URL: url.toString(), REDIS_URL, GATEHOUSE_REDIS_PREFIX: prefix };
}

/** One real client_credentials request first: benchmarking a stream of 401s would produce a meaningless rate. */
export const CC_BODY = 'grant_type=client_credentials&scope=read';

export async function checkClientCredentials(target: Target): Promise<void> {
  const response = await fetch(`${target.url}/token`, {
    method: 'POST',
    headers: { authorization: target.authorization, 'content-type': 'application/x-www-form-urlencoded' },
    body: CC_BODY,
  });
  const text = await response.text();
  const token = response.ok ? (JSON.parse(text) as { access_token?: string }).access_token : undefined;
  const header = token ? (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as { typ?: string; alg?: string }) : {};
  if (header.typ !== 'at+jwt' || header.alg !== 'RS256') {
    throw new Error(`${target.name}: expected an RS256 at+jwt, got ${response.status} ${text.slice(0, 300)}`);
  }
}
