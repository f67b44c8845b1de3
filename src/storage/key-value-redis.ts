import { Redis } from 'ioredis';
import { StoreUnavailable } from '../errors.ts';
import type { KeyValueStore, KeyValueWrite } from './key-value.ts';

/**
 * `readThrough` as one server-side step: GET the index, then GET each target built from the id.
 * The target keys are computed in the script, so they carry the key prefix explicitly (ARGV[1]):
 * ioredis prefixes only declared KEYS. Undeclared keys rule out Redis Cluster, which Gatehouse
 * refuses anyway (see parseRedisUrl).
 */
const READ_THROUGH = `
local id = redis.call('GET', KEYS[1])
if not id then return false end
local result = { id }
for i = 2, #ARGV, 2 do
  result[#result + 1] = redis.call('GET', ARGV[1] .. ARGV[i] .. id .. ARGV[i + 1])
end
return result`;

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

function queueWrite(transaction: ReturnType<Redis['multi']>, write: KeyValueWrite): void {
  const ttl = Math.max(1, Math.ceil(write.ttlSeconds));
  if ('set' in write) transaction.set(write.set, write.value, 'EX', ttl);
  // NX then GT: a new set gets the TTL, an existing one is only ever extended.
  else transaction.sadd(write.addToSet, write.member).expire(write.addToSet, ttl, 'NX').expire(write.addToSet, ttl, 'GT');
}

/**
 * `setIfAbsentOutliving` in one step: the anchor's remaining lifetime (PTTL: -2 gone, -1 no
 * expiry) plus the margin, or the fallback lifetime; then SET NX with it.
 */
const SET_IF_ABSENT_OUTLIVING = `
local remaining = redis.call('PTTL', KEYS[2])
local ms = tonumber(ARGV[3])
if remaining >= 0 then ms = remaining + tonumber(ARGV[2]) end
if redis.call('SET', KEYS[1], ARGV[1], 'PX', math.max(1, ms), 'NX') then return 1 end
return 0`;

type ScriptedCommands = {
  gatehouseReadThrough: (key: string, ...args: string[]) => Promise<Array<string | null> | null>;
  gatehouseSetIfAbsentOutliving: (key: string, anchorKey: string, value: string, marginMs: string, withoutAnchorMs: string) => Promise<number>;
};

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
  redis.defineCommand('gatehouseReadThrough', { numberOfKeys: 1, lua: READ_THROUGH });
  redis.defineCommand('gatehouseSetIfAbsentOutliving', { numberOfKeys: 2, lua: SET_IF_ABSENT_OUTLIVING });
  const scripted = redis as unknown as ScriptedCommands;
  const write: KeyValueStore['write'] = (writes) =>
    guard(async () => {
      if (writes.length === 0) return;
      const transaction = redis.multi();
      for (const entry of writes) queueWrite(transaction, entry);
      const results = await transaction.exec();
      const failed = results?.find(([error]) => error);
      if (!results || failed) throw failed?.[0] ?? new Error('transaction discarded');
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
    setIfAbsentOutliving: (key, value, anchor, withoutAnchorSeconds) =>
      guard(
        async () =>
          (await scripted.gatehouseSetIfAbsentOutliving(
            key,
            anchor.key,
            value,
            String(Math.ceil(anchor.marginSeconds * 1000)),
            String(Math.ceil(Math.max(1, withoutAnchorSeconds) * 1000)),
          )) === 1,
      ),
    delete: (keys) =>
      guard(async () => {
        if (keys.length > 0) await redis.del(...keys);
      }),
    addToSet: (key, member, ttlSeconds) => write([{ addToSet: key, member, ttlSeconds }]),
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
    write,
    readThrough: (indexKey, targets) =>
      guard(async () => {
        const reply = await scripted.gatehouseReadThrough(indexKey, options.prefix, ...targets.flatMap((target) => [target.prefix, target.suffix]));
        if (!Array.isArray(reply)) return undefined;
        const [id, ...values] = reply;
        return { id: id!, values: targets.map((_, index) => values[index] ?? undefined) };
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
