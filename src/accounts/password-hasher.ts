import { availableParallelism } from 'node:os';
import argon2 from 'argon2';

export interface PasswordHashingParameters {
  memoryKib: number;
  timeCost: number;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Constant-time verification (argon2's own comparison). */
  verify(hash: string, password: string): Promise<boolean>;
  /** True when the hash was made with weaker or different parameters than the current ones. */
  needsRehash(hash: string): boolean;
  /** Burns the same time as a real verification, so unknown accounts cannot be told apart. */
  verifyDummy(password: string): Promise<void>;
}

/**
 * Runs at most `limit` operations at once, the others wait in arrival order. Password hashes
 * wait here instead of in libuv's threadpool queue, where token signatures would wait behind
 * them (see src/threadpool.ts).
 */
function concurrencyLimit(limit: number) {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async <T>(operation: () => Promise<T>): Promise<T> => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else running += 1;
    try {
      return await operation();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    }
  };
}

/**
 * argon2id (RFC 9106); hashes carry their parameters in the PHC string. `maxConcurrent` hashes
 * run at once (default: one per core; src/threadpool.ts sizes the pool to match).
 */
export function createPasswordHasher(parameters: PasswordHashingParameters, maxConcurrent = availableParallelism()): PasswordHasher {
  const limited = concurrencyLimit(Math.max(1, maxConcurrent));
  const options = {
    type: argon2.argon2id,
    memoryCost: parameters.memoryKib,
    timeCost: parameters.timeCost,
    parallelism: 1,
  } as const;
  let dummyHash: Promise<string> | undefined;
  return {
    hash: (password) => limited(() => argon2.hash(password, options)),
    verify: async (hash, password) => {
      try {
        return await limited(() => argon2.verify(hash, password));
      } catch {
        return false;
      }
    },
    needsRehash: (hash) => argon2.needsRehash(hash, options),
    verifyDummy: async (password) => {
      dummyHash ??= limited(() => argon2.hash('gatehouse-dummy-password', options));
      const hash = await dummyHash;
      await limited(() => argon2.verify(hash, password)).catch(() => false);
    },
  };
}
