/**
 * Signing keys: generated here, sealed at rest in Postgres, rotated on a schedule by exactly one
 * instance, and projected into (a) the key set oidc-provider signs with and (b) the public JWKS.
 *
 * @example
 * const keys = createKeyService({ signingKeys, keyEncryptionSecret, clock, logger, policy, algorithms: ['RS256'] });
 * await keys.ensureSigningKeys();
 * const view = await keys.currentView(); // { providerJwks, publicJwks, signingKids, fingerprint }
 */
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Clock } from '../clock.ts';
import type { SigningKeyQueries, SigningKeyRow } from '../storage/queries/signing-keys.ts';
import { openPrivateJwk, sealPrivateJwk } from './key-encryption.ts';
import {
  keyState,
  planRevocation,
  planRotation,
  publishedKeys,
  type RotationPolicy,
  signingKey,
} from './lifecycle.ts';

export { openPrivateJwk, sealPrivateJwk } from './key-encryption.ts';
export { type KeyState, keyState, type RotationPolicy } from './lifecycle.ts';

export type SigningAlgorithm = 'RS256' | 'ES256' | 'EdDSA';

/** The configured key-encryption secret is not the one that sealed a stored key. */
export class KeyDecryptionFailed extends Error {
  override name = 'KeyDecryptionFailed';
  constructor(kid: string, options?: ErrorOptions) {
    super(`cannot decrypt signing key ${kid}: GATEHOUSE_KEY_ENCRYPTION_SECRET is not the secret the keys were sealed with`, options);
  }
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth', 'priv'] as const;

/** The public half of a JWK; removes every private member whatever the key type. */
export function publicJwk(jwk: JWK): JWK {
  const copy: Record<string, unknown> = { ...jwk };
  for (const member of PRIVATE_MEMBERS) delete copy[member];
  return copy as JWK;
}

/** What the server serves and signs with at one moment, derived from the rows and the clock. */
export interface KeyView {
  /** Private keys for oidc-provider: the active key per alg signs; retiring keys verify only. */
  providerJwks: JWK[];
  /** Public keys of every published, active and retiring key. */
  publicJwks: JWK[];
  signingKids: Record<string, string>;
  /** When each algorithm's signing key started signing (key-age metric). */
  signingSince: Record<string, Date>;
  /** Changes whenever the derived view changes; instances rebuild their provider on change. */
  fingerprint: string;
}

export interface KeyEvent {
  event: 'key.created' | 'key.rotation_scheduled' | 'key.revoked';
  kid: string;
  [field: string]: unknown;
}

export function createKeyService(deps: {
  signingKeys: SigningKeyQueries;
  keyEncryptionSecret: Uint8Array;
  clock: Clock;
  /** Every creation, scheduled rotation and revocation: the audit trail records it. */
  onEvent: (event: KeyEvent) => void;
  rsaModulusLength: number;
  algorithms: readonly SigningAlgorithm[];
  policy: RotationPolicy;
  /** Compromise response: revokes grants whose refresh tokens were issued in a window. */
  revokeGrantsIssuedBetween: (from: Date, until: Date) => Promise<number>;
}) {
  const { signingKeys, keyEncryptionSecret, clock, policy } = deps;
  const opened = new Map<string, JWK>();
  const audit = deps.onEvent;

  async function create(queries: SigningKeyQueries, alg: SigningAlgorithm, publishAt: Date, activateAt: Date) {
    const { privateKey } =
      alg === 'RS256'
        ? await generateKeyPair(alg, { modulusLength: deps.rsaModulusLength, extractable: true })
        : await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
    const kid = randomUUID();
    const jwk = { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
    await queries.insert({
      kid,
      alg,
      public_jwk: publicJwk(jwk) as Record<string, unknown>,
      private_jwk_jwe: await sealPrivateJwk(jwk, keyEncryptionSecret),
      publish_at: publishAt,
      activate_at: activateAt,
      deactivate_at: null,
      retire_at: null,
      revoked_at: null,
    });
    audit({ event: 'key.created', kid, alg, publishAt: publishAt.toISOString(), activateAt: activateAt.toISOString() });
    return kid;
  }

  async function open(row: SigningKeyRow): Promise<JWK> {
    let jwk = opened.get(row.kid);
    if (!jwk) {
      jwk = await openPrivateJwk(row.private_jwk_jwe, keyEncryptionSecret).catch((cause: unknown) => {
        throw new KeyDecryptionFailed(row.kid, { cause });
      });
      opened.set(row.kid, jwk);
    }
    return jwk;
  }

  /** Creates the successor keys that are due; returns their kids. Run under the rotation lock. */
  async function rotate(force: boolean, wait: boolean): Promise<string[]> {
    const created = await signingKeys.withRotationLock(async (locked) => {
      const kids: string[] = [];
      const rows = await locked.list();
      for (const alg of deps.algorithms) {
        const now = clock.now();
        const plan = planRotation(rows, alg, now, policy, force);
        if (!plan) continue;
        const kid = await create(locked, alg, plan.publishAt, plan.activateAt);
        if (plan.supersede) {
          await locked.update(plan.supersede.kid, { deactivate_at: plan.supersede.deactivateAt, retire_at: plan.supersede.retireAt });
          audit({
            event: 'key.rotation_scheduled',
            kid,
            alg,
            supersedes: plan.supersede.kid,
            activateAt: plan.activateAt.toISOString(),
            retireAt: plan.supersede.retireAt.toISOString(),
          });
        }
        kids.push(kid);
      }
      return kids;
    }, { wait });
    return created ?? [];
  }

  return {
    /**
     * Every configured algorithm has a signing key and successors are created on time. At start-up
     * (`wait`) an instance queues behind one that is creating the first keys, so it never serves
     * without them; scheduler ticks skip when another instance holds the lock.
     */
    async ensureSigningKeys(options: { wait: boolean } = { wait: false }): Promise<string[]> {
      const created = await rotate(false, options.wait);
      if (options.wait) {
        const rows = await signingKeys.list();
        const missing = deps.algorithms.filter((alg) => !signingKey(rows, alg, clock.now()));
        if (missing.length > 0) throw new Error(`no signing key for ${missing.join(', ')}`);
      }
      return created;
    },

    /** Operator `keys rotate`: publish a successor now; it signs after the publish lead. */
    rotateNow: () => rotate(true, true),

    /**
     * Compromise: the key leaves the JWKS now, its successor (or a fresh key) signs now, and grants
     * whose refresh tokens were issued while it signed are revoked.
     */
    async revoke(kid: string): Promise<{ revoked: string; activated?: string; generated?: string; grantsRevoked: number } | undefined> {
      const result = await signingKeys.withRotationLock(async (locked) => {
        const now = clock.now();
        const plan = planRevocation(await locked.list(), kid, now);
        if (!plan) return undefined;
        await locked.update(kid, { revoked_at: now });
        let generated: string | undefined;
        if (plan.activateKid) await locked.update(plan.activateKid, { activate_at: now });
        if (plan.generateAlg) generated = await create(locked, plan.generateAlg as SigningAlgorithm, now, now);
        return { plan, generated };
      }, { wait: true });
      if (!result) return undefined;
      const { plan, generated } = result;
      const grantsRevoked = await deps.revokeGrantsIssuedBetween(plan.signedFrom, plan.signedUntil);
      audit({ event: 'key.revoked', kid, activated: plan.activateKid, generated, grantsRevoked });
      return { revoked: kid, activated: plan.activateKid, generated, grantsRevoked };
    },

    async currentView(): Promise<KeyView> {
      const now = clock.now();
      const rows = await signingKeys.list();
      const published = publishedKeys(rows, now);
      const signingKids: Record<string, string> = {};
      const signingSince: Record<string, Date> = {};
      for (const alg of deps.algorithms) {
        const active = signingKey(rows, alg, now);
        if (active) {
          signingKids[alg] = active.kid;
          signingSince[alg] = active.activate_at;
        }
      }
      const signing = new Set(Object.values(signingKids));
      const verifyOnly = published.filter((row) => !signing.has(row.kid) && keyState(row, rows, now) === 'retiring');
      const providerJwks = [
        ...(await Promise.all(rows.filter((row) => signing.has(row.kid)).map(open))),
        ...(await Promise.all(verifyOnly.map(async (row) => ({ ...(await open(row)), key_ops: ['verify'] })))),
      ];
      const publicJwks = published.map((row) => row.public_jwk as JWK).sort((a, b) => String(a.kid).localeCompare(String(b.kid)));
      const fingerprint = JSON.stringify({ signingKids, verify: verifyOnly.map((r) => r.kid).sort(), publish: publicJwks.map((k) => k.kid) });
      return { providerJwks, publicJwks, signingKids, signingSince, fingerprint };
    },

    async list(): Promise<Array<SigningKeyRow & { state: string }>> {
      const rows = await signingKeys.list();
      const now = clock.now();
      return rows.map((row) => ({ ...row, state: keyState(row, rows, now) }));
    },

    /** Cheap change detector for the watcher. */
    fingerprint: () => signingKeys.fingerprint(),
  };
}

export type KeyService = ReturnType<typeof createKeyService>;
