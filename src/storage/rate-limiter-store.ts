import type { Redis } from 'ioredis';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { limiterKeyPrefix } from './keyspaces/rate-limits.ts';

export interface LimiterOptions {
  /** Distinguishes limiters sharing a store. */
  name: string;
  points: number;
  durationSeconds: number;
  blockSeconds?: number;
}

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
