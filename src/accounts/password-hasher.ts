import { availableParallelism } from 'node:os';
import argon2 from 'argon2';
import { classifyDjangoHash, verifyDjangoHash } from '../legacy-hashes/django.ts';
import { inSpan } from '../tracing/spans.ts';

export interface PasswordHashingParameters {
  memoryKib: number;
  timeCost: number;
}

/** How a stored hash was made: Gatehouse's argon2id, a Django hasher (imported users), or neither. */
export type PasswordHashScheme = 'argon2id' | `django:${string}` | 'unusable';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /**
   * Constant-time verification of Gatehouse's argon2id hashes and of imported Django hashes.
   * A stored value that can never match (an unusable or refused imported password, a corrupt
   * value) costs a dummy verification, so its answer takes as long as a wrong password's.
   */
  verify(hash: string, password: string): Promise<boolean>;
  /** True when the hash was made with weaker or different parameters than the current ones, or is not argon2id. */
  needsRehash(hash: string): boolean;
  scheme(hash: string): PasswordHashScheme;
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
/** One password operation: a new hash, or a check against a stored (or the dummy) hash. */
export type PasswordOperation = 'hash' | 'verify';

export function createPasswordHasher(
  parameters: PasswordHashingParameters,
  options: { maxConcurrent?: number; /** Sees each operation as it starts (metrics). */ observe?: (operation: PasswordOperation) => void } = {},
): PasswordHasher {
  const observe = options.observe ?? (() => {});
  const limited = concurrencyLimit(Math.max(1, options.maxConcurrent ?? availableParallelism()));
  const argon2Options = {
    type: argon2.argon2id,
    memoryCost: parameters.memoryKib,
    timeCost: parameters.timeCost,
    parallelism: 1,
  } as const;
  let dummyHash: Promise<string> | undefined;
  const verifyDummy = async (password: string) => {
    dummyHash ??= limited(() => argon2.hash('gatehouse-dummy-password', argon2Options));
    const hash = await dummyHash;
    observe('verify');
    await inSpan('argon2.verify', { 'gatehouse.password.scheme': 'dummy' }, () => limited(() => argon2.verify(hash, password))).catch(() => false);
  };
  const scheme = (hash: string): PasswordHashScheme => {
    if (hash.startsWith('$argon2id$')) return 'argon2id';
    const django = classifyDjangoHash(hash);
    return django.kind === 'supported' ? `django:${django.algorithm}` : 'unusable';
  };
  return {
    hash: (password) => {
      observe('hash');
      return inSpan('argon2.hash', { 'gatehouse.password.scheme': 'argon2id' }, () => limited(() => argon2.hash(password, argon2Options)));
    },
    scheme,
    verify: async (hash, password) => {
      const kind = scheme(hash);
      if (kind === 'unusable') {
        await verifyDummy(password);
        return false;
      }
      observe('verify');
      try {
        return await inSpan(kind === 'argon2id' ? 'argon2.verify' : 'password.verify', { 'gatehouse.password.scheme': kind }, () =>
          limited(() => (kind === 'argon2id' ? argon2.verify(hash, password) : verifyDjangoHash(hash, password))),
        );
      } catch {
        return false;
      }
    },
    needsRehash: (hash) => {
      if (scheme(hash) !== 'argon2id') return true;
      try {
        return argon2.needsRehash(hash, argon2Options);
      } catch {
        return true;
      }
    },
    verifyDummy,
  };
}
