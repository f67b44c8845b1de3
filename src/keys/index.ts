/**
 * Signing keys: generated here, sealed at rest in Postgres, handed to oidc-provider as a key set.
 *
 * @example
 * const keys = createKeyService({ signingKeys: queries.signingKeys, keyEncryptionSecret, clock, logger, rsaModulusLength: 2048 });
 * await keys.ensureSigningKey();
 * const { privateJwks } = await keys.loadKeySet();
 */
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import type { SigningKeyQueries, SigningKeyRow } from '../storage/queries/signing-keys.ts';
import { openPrivateJwk, sealPrivateJwk } from './key-encryption.ts';

export { openPrivateJwk, sealPrivateJwk } from './key-encryption.ts';

/** The configured key-encryption secret is not the one that sealed a stored key. */
export class KeyDecryptionFailed extends Error {
  override name = 'KeyDecryptionFailed';
  constructor(kid: string, options?: ErrorOptions) {
    super(
      `cannot decrypt signing key ${kid}: GATEHOUSE_KEY_ENCRYPTION_SECRET is not the secret the keys were sealed with`,
      options,
    );
  }
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'] as const;

/** The public half of a JWK; removes every private member whatever the key type. */
export function publicJwk(jwk: JWK): JWK {
  const copy: Record<string, unknown> = { ...jwk };
  for (const member of PRIVATE_MEMBERS) delete copy[member];
  return copy as JWK;
}

export interface KeySet {
  /** Keys oidc-provider may sign with, the active one first. */
  privateJwks: JWK[];
}

function isUsable(row: SigningKeyRow, now: Date): boolean {
  return !row.revoked_at && row.activate_at <= now && (!row.retire_at || row.retire_at > now);
}

export function createKeyService(deps: {
  signingKeys: SigningKeyQueries;
  keyEncryptionSecret: Uint8Array;
  clock: Clock;
  logger: Logger;
  rsaModulusLength: number;
}) {
  const { signingKeys, keyEncryptionSecret, clock, logger } = deps;

  async function generate(alg: 'RS256'): Promise<SigningKeyRow> {
    const { privateKey } = await generateKeyPair(alg, { modulusLength: deps.rsaModulusLength, extractable: true });
    const kid = randomUUID();
    const jwk = { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
    const now = clock.now();
    const row = {
      kid,
      alg,
      public_jwk: publicJwk(jwk) as Record<string, unknown>,
      private_jwk_jwe: await sealPrivateJwk(jwk, keyEncryptionSecret),
      publish_at: now,
      activate_at: now,
      deactivate_at: null,
      retire_at: null,
      revoked_at: null,
    };
    await signingKeys.insert(row);
    logger.info({ event: 'key.created', kid, alg }, 'signing key created');
    return { ...row, created_at: now };
  }

  return {
    /** First start: no usable key yet, so one is created and active at once. */
    async ensureSigningKey(): Promise<void> {
      const rows = await signingKeys.list();
      if (!rows.some((row) => isUsable(row, clock.now()))) await generate('RS256');
    },

    async loadKeySet(): Promise<KeySet> {
      const now = clock.now();
      const usable = (await signingKeys.list()).filter((row) => isUsable(row, now));
      usable.sort((a, b) => b.activate_at.getTime() - a.activate_at.getTime());
      const privateJwks = await Promise.all(
        usable.map((row) =>
          openPrivateJwk(row.private_jwk_jwe, keyEncryptionSecret).catch((cause: unknown) => {
            throw new KeyDecryptionFailed(row.kid, { cause });
          }),
        ),
      );
      return { privateJwks };
    },

    list: () => signingKeys.list(),
  };
}

export type KeyService = ReturnType<typeof createKeyService>;
