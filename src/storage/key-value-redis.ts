import { Redis } from 'ioredis';
import { StoreUnavailable } from '../errors.ts';
import type { KeyValueStore } from './key-value.ts';

export interface RedisOptions {
  url: string;
  prefix: string;
  /** Connection problems are reported here (ioredis reconnects by itself). */
  onError?: (error: Error) => void;
  /** Deadline of every command; past it the caller gets StoreUnavailable instead of hanging. */
  commandTimeoutMs?: number;
}

/**
 * `redis[s]://…` for one server, or `redis+sentinel://[:password@]host:26379,host:26379/master-name`
 * for Sentinel (ioredis follows fail-overs). Cluster is refused: Gatehouse reads a token and its
 * "consumed" marker in one MGET, which Cluster only allows within a slot.
 */
export function parseRedisUrl(url: string): { url: string } | { sentinels: Array<{ host: string; port: number }>; name: string; password?: string } {
  if (/^redis\+cluster:/i.test(url)) throw new Error('Redis Cluster is not supported (use a single primary or Sentinel)');
  const sentinel = /^redis\+sentinel:\/\/(?:([^@]*)@)?([^/]+)\/([^/?#]+)/i.exec(url);
  if (!sentinel) return { url };
  const [, auth, hosts, name] = sentinel;
  const password = auth ? decodeURIComponent(auth.replace(/^[^:]*:/, '')) : undefined;
  return {
    name: decodeURIComponent(name!),
    sentinels: hosts!.split(',').map((hostPort) => {
      const [host, port] = hostPort.split(':');
      return { host: host!, port: Number(port ?? 26379) };
    }),
    ...(password ? { password } : {}),
  };
}

export function createRedisClient(options: RedisOptions): Redis {
  const target = parseRedisUrl(options.url);
  const common = {
    keyPrefix: options.prefix,
    // Fail fast instead of queueing forever while Redis is down.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs ?? 2000,
    connectTimeout: 2000,
    lazyConnect: true,
    retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
  };
  return 'url' in target ? new Redis(target.url, common) : new Redis({ ...common, ...target });
}

/** Services mode's ephemeral store. Keys carry the instance's (or test run's) prefix. */
export async function createRedisKeyValueStore(options: RedisOptions): Promise<KeyValueStore & { redis: Redis }> {
  const redis = createRedisClient(options);
  let lastReport = 0;
  redis.on('error', (error: Error) => {
    // One line per 10 s at most: an outage must not flood the logs.
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      options.onError?.(error);
    }
  });
  await redis.connect();
  const guard = async <T>(operation: () => Promise<T>): Promise<T> => {
    try {
      return await operation();
    } catch (error) {
      throw new StoreUnavailable('Redis', { cause: error });
    }
  };

  return {
    redis,
    get: (key) => guard(async () => (await redis.get(key)) ?? undefined),
    getMany: (keys) =>
      guard(async () => (keys.length === 0 ? [] : (await redis.mget(...keys)).map((value) => value ?? undefined))),
    set: (key, value, ttlSeconds) =>
      guard(async () => {
        await redis.set(key, value, 'EX', Math.max(1, Math.ceil(ttlSeconds)));
      }),
    setIfAbsent: (key, value, ttlSeconds) =>
      guard(async () => (await redis.set(key, value, 'EX', Math.max(1, Math.ceil(ttlSeconds)), 'NX')) === 'OK'),
    delete: (keys) =>
      guard(async () => {
        if (keys.length > 0) await redis.del(...keys);
      }),
    addToSet: (key, member, ttlSeconds) =>
      guard(async () => {
        const ttl = Math.max(1, Math.ceil(ttlSeconds));
        await redis.multi().sadd(key, member).expire(key, ttl, 'NX').expire(key, ttl, 'GT').exec();
      }),
    members: (key) => guard(() => redis.smembers(key)),
    removeFromSet: (key, member) =>
      guard(async () => {
        await redis.srem(key, member);
      }),
    takeSet: (key) =>
      guard(async () => {
        const result = await redis.multi().smembers(key).del(key).exec();
        const members = result?.[0]?.[1];
        return Array.isArray(members) ? (members as string[]) : [];
      }),
    ping: () =>
      guard(async () => {
        await redis.ping();
      }),
    close: async () => {
      redis.disconnect();
    },
  };
}
