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

/** argon2id (RFC 9106); hashes carry their parameters in the PHC string. */
export function createPasswordHasher(parameters: PasswordHashingParameters): PasswordHasher {
  const options = {
    type: argon2.argon2id,
    memoryCost: parameters.memoryKib,
    timeCost: parameters.timeCost,
    parallelism: 1,
  } as const;
  let dummyHash: Promise<string> | undefined;
  return {
    hash: (password) => argon2.hash(password, options),
    verify: async (hash, password) => {
      try {
        return await argon2.verify(hash, password);
      } catch {
        return false;
      }
    },
    needsRehash: (hash) => argon2.needsRehash(hash, options),
    verifyDummy: async (password) => {
      dummyHash ??= argon2.hash('gatehouse-dummy-password', options);
      await argon2.verify(await dummyHash, password).catch(() => false);
    },
  };
}
