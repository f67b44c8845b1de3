import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import type { RateLimiterMemory as MemoryLimiter, RateLimiterAbstract, RateLimiterRedis as RedisLimiter } from 'rate-limiter-flexible';
import { limiterKeyPrefix } from './keyspaces/rate-limits.ts';

export interface LimiterOptions {
  /** Distinguishes limiters sharing a store. */
  name: string;
  points: number;
  durationSeconds: number;
  blockSeconds?: number;
}

// The two limiter classes used, not the package's index, which loads the module of every store it
// supports (Mongo, MySQL, DynamoDB, Etcd, …) on every start and CLI run.
const require = createRequire(import.meta.url);
const RateLimiterMemory = require('rate-limiter-flexible/lib/RateLimiterMemory.js') as typeof MemoryLimiter;
const RateLimiterRedis = require('rate-limiter-flexible/lib/RateLimiterRedis.js') as typeof RedisLimiter;

export type LimiterFactory = (options: LimiterOptions) => RateLimiterAbstract;

/**
 * Limiters on Redis (shared by every instance) with an in-process insurance limiter that takes
 * over while Redis is unreachable — fail safe, never "allow everything". Embedded mode: memory.
 */
export function createLimiterFactory(redis: Redis | undefined): LimiterFactory {
  return (options) => {
    const common = {
      keyPrefix: limiterKeyPrefix(options.name),
      points: options.points,
      duration: options.durationSeconds,
      blockDuration: options.blockSeconds ?? 0,
    };
    if (!redis) return new RateLimiterMemory(common);
    return new RateLimiterRedis({ ...common, storeClient: redis, insuranceLimiter: new RateLimiterMemory(common) });
  };
}
