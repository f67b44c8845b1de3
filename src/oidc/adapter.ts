/**
 * oidc-provider's storage adapter: durable models go to Postgres, ephemeral ones to the
 * key-value store (Redis, or in-process in embedded mode) with TTLs.
 *
 * This is the one edge allowed to use storage query modules directly (see CONVENTIONS §11).
 *
 * Why the split: losing a Grant or RefreshToken logs users out of their apps, so they must
 * survive a Redis flush; sessions, interactions, codes and replay records are short-lived and
 * hot, and their loss costs at most one more sign-in.
 */
import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { errors } from 'oidc-provider';
import type { Clock } from '../clock.ts';
import { revokeGrantEverywhere } from '../storage/grant-revocation.ts';
import type { OidcModelKeyspace } from '../storage/keyspaces/oidc-models.ts';
import type { SessionKeyspace } from '../storage/keyspaces/sessions.ts';

export { revokeGrantEverywhere } from '../storage/grant-revocation.ts';

import { seal, unseal } from '../sealing.ts';
import type { ClientQueries } from '../storage/queries/clients.ts';
import type { OidcPayloadQueries, RotationFacts, RotationOutcome } from '../storage/queries/oidc-payloads.ts';
import { asProviderError } from './store-outage.ts';

export const DURABLE_MODELS = new Set(['Grant', 'RefreshToken', 'RegistrationAccessToken', 'InitialAccessToken']);

/**
 * Models whose id is itself a bearer credential: stored under a SHA-256 digest, with `jti`
 * removed from the stored payload, so neither a database dump nor a Redis dump yields a token.
 */
const CREDENTIAL_MODELS = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'ClientCredentials',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'RegistrationAccessToken',
  'InitialAccessToken',
  'PushedAuthorizationRequest',
]);

/**
 * A device code is kept this long past its expiry, so a CLI polling late is told `expired_token`
 * (RFC 8628 §3.5) and a person typing its user code late is told it expired, not that it never existed.
 */
const DEVICE_CODE_EXPIRED_GRACE_SECONDS = 600;

/** The lifetime of an ephemeral payload saved without one (and of a consumed marker whose payload is gone). */
const CONSUMED_MARKER_TTL_SECONDS = 24 * 3600;
/** How long a "consumed" marker outlives its payload: longer than any request that read the payload can take. */
const CONSUMED_MARKER_MARGIN_SECONDS = 300;

export type AdapterPayload = Record<string, unknown> & {
  accountId?: string;
  grantId?: string;
  uid?: string;
  userCode?: string;
  consumed?: number;
  jti?: string;
};

export interface OidcStorage {
  payloads: OidcPayloadQueries;
  clients: Pick<ClientQueries, 'find'>;
  /** Ephemeral models and their indexes (storage/keyspaces/). */
  oidcModels: OidcModelKeyspace;
  sessions: Pick<SessionKeyspace, 'accountIndexWrite' | 'activity' | 'recordActivity'>;
  clock: Clock;
  /**
   * The key-encryption secret: a user code is indexed by an HMAC under a key derived from it, and
   * the device code it stands for is sealed under that key. A user code has ~34.5 bits, so a plain
   * digest of it could be reversed from a dump; without the secret the index opens nothing.
   */
  serverSecret: Uint8Array;
}

export function storageKey(model: string, id: string): string {
  return CREDENTIAL_MODELS.has(model) ? createHash('sha256').update(id).digest('base64url') : id;
}

function stripJti(model: string, payload: AdapterPayload): AdapterPayload {
  if (!CREDENTIAL_MODELS.has(model)) return payload;
  // A device code's user code is a credential too: only its HMAC is kept (the index key).
  const { jti: _jti, userCode: _userCode, ...rest } = payload;
  return rest;
}

/** Domain separation: this key serves the user-code index and nothing else. */
const USER_CODE_INFO = 'gatehouse/device-user-code/v1';
const userCodeKeys = new WeakMap<Uint8Array, Uint8Array>();
function userCodeKeyOf(secret: Uint8Array): Uint8Array {
  let key = userCodeKeys.get(secret);
  if (!key) {
    key = new Uint8Array(hkdfSync('sha256', secret, new Uint8Array(0), USER_CODE_INFO, 32));
    userCodeKeys.set(secret, key);
  }
  return key;
}
const userCodeMac = (key: Uint8Array, userCode: string) => createHmac('sha256', key).update(userCode).digest('base64url');

async function available<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw asProviderError(error);
  }
}

export class GatehouseAdapter {
  readonly model: string;
  readonly #storage: OidcStorage;
  readonly #durable: boolean;

  constructor(model: string, storage: OidcStorage) {
    this.model = model;
    this.#storage = storage;
    this.#durable = DURABLE_MODELS.has(model);
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void> {
    if (this.model === 'Client') throw new Error('clients are managed through the clients module');
    const key = storageKey(this.model, id);
    const stored = stripJti(this.model, payload);
    if (this.#durable) {
      await this.#storage.payloads.upsert(this.model, key, stored, {
        grantId: payload.grantId,
        uid: payload.uid,
        accountId: typeof payload.accountId === 'string' ? payload.accountId : undefined,
        expiresAt: this.#expiresAt(expiresIn),
        now: this.#storage.clock.now(),
      });
      return;
    }
    const ttl =
      (expiresIn && expiresIn > 0 ? expiresIn : CONSUMED_MARKER_TTL_SECONDS) + (this.model === 'DeviceCode' ? DEVICE_CODE_EXPIRED_GRACE_SECONDS : 0);
    // Everywhere-logout needs every session of an account, on any instance.
    const accountIndex =
      this.model === 'Session' && typeof payload.accountId === 'string' ? [this.#storage.sessions.accountIndexWrite(payload.accountId, key, ttl)] : [];
    await Promise.all([
      typeof payload.userCode === 'string' ? this.#indexUserCode(payload.userCode, id, ttl) : undefined,
      this.#storage.oidcModels.save(this.model, key, { json: JSON.stringify(stored), id, ttlSeconds: ttl, grantId: payload.grantId, uid: payload.uid }, accountIndex),
    ]);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (typeof id !== 'string' || id.length === 0 || id.length > 512) return undefined;
    if (this.model === 'Client') return (await this.#storage.clients.find(id)) as AdapterPayload | undefined;
    const key = storageKey(this.model, id);
    if (this.#durable) {
      const stored = await this.#storage.payloads.find(this.model, key);
      if (!stored) return undefined;
      return this.#restore(id, stored.payload, stored.consumedAt ? Math.floor(stored.consumedAt.getTime() / 1000) : undefined);
    }
    const entry = await this.#storage.oidcModels.read(this.model, key);
    if (!entry) return undefined;
    return this.#restore(id, JSON.parse(entry.json), entry.consumedAt);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    if (this.#durable) {
      const found = await this.#storage.payloads.findByUid(this.model, uid);
      return found ? { ...found.stored.payload } : undefined;
    }
    if (CREDENTIAL_MODELS.has(this.model)) {
      const id = await this.#storage.oidcModels.idByUid(this.model, uid);
      return id ? this.find(id) : undefined;
    }
    const entry = await this.#storage.oidcModels.readByUid(this.model, uid);
    return entry ? this.#restore(entry.id, JSON.parse(entry.json), entry.consumedAt) : undefined;
  }

  /** RFC 8628: the device code a person's typed (normalized) user code stands for. */
  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    if (typeof userCode !== 'string' || userCode.length === 0 || userCode.length > 64) return undefined;
    const key = userCodeKeyOf(this.#storage.serverSecret);
    const sealed = await this.#storage.oidcModels.byUserCode(this.model, userCodeMac(key, userCode));
    const id = sealed ? await unseal(sealed, key).catch(() => undefined) : undefined;
    const found = id ? await this.find(id) : undefined;
    // Found by its HMAC: the code is the one typed (oidc-provider compares the two once more).
    return found ? { ...found, userCode } : undefined;
  }

  async #indexUserCode(userCode: string, deviceCode: string, ttl: number): Promise<void> {
    const key = userCodeKeyOf(this.#storage.serverSecret);
    await this.#storage.oidcModels.indexUserCode(this.model, userCodeMac(key, userCode), await seal(deviceCode, key, 'device-code'), ttl);
  }

  /**
   * Marks the entity consumed, atomically. For authorization codes a lost race means the code
   * was used twice: the loser gets invalid_grant and the grant it produced is revoked (RFC 6749 §4.1.2).
   */
  async consume(id: string): Promise<void> {
    const won = await this.consumeOnce(id);
    if (!won && this.model === 'AuthorizationCode') {
      const payload = await this.find(id);
      if (payload?.grantId) await revokeGrantEverywhere(this.#storage, payload.grantId, { includeGrant: true });
      throw new errors.InvalidGrant('authorization code already consumed');
    }
  }

  /** The compare-and-set primitive: true for exactly one caller. */
  async consumeOnce(id: string): Promise<boolean> {
    const key = storageKey(this.model, id);
    const now = this.#storage.clock.now();
    if (this.#durable) return this.#storage.payloads.consumeOnce(this.model, key, now);
    return this.#storage.oidcModels.markConsumed(
      this.model,
      key,
      Math.floor(now.getTime() / 1000),
      CONSUMED_MARKER_MARGIN_SECONDS,
      CONSUMED_MARKER_TTL_SECONDS,
    );
  }

  /**
   * Refresh rotation as one storage operation: the parent consumed, its successor recorded and the
   * child inserted together, or nothing at all (storage/queries/oidc-payloads.ts).
   */
  async rotateRefreshToken(
    parentValue: string,
    child: { value: string; payload: AdapterPayload; expiresIn: number },
    successorSealed: string,
  ): Promise<RotationOutcome> {
    if (this.model !== 'RefreshToken') throw new Error('only refresh tokens rotate');
    const row = {
      id: storageKey(this.model, child.value),
      payload: stripJti(this.model, child.payload),
      grantId: child.payload.grantId,
      uid: child.payload.uid,
      accountId: child.payload.accountId,
      expiresAt: this.#expiresAt(child.expiresIn),
    };
    return this.#storage.payloads.rotateRefreshToken(storageKey(this.model, parentValue), row, successorSealed, this.#storage.clock.now());
  }

  /** What storage knows about a consumed refresh token (undefined if unknown or not consumed). */
  async rotationFacts(value: string): Promise<RotationFacts | undefined> {
    return this.#storage.payloads.rotationFacts(storageKey(this.model, value));
  }

  /** The server is answering the rotation of this (parent) token with its successor. */
  async markRotationAnswered(parentValue: string): Promise<void> {
    await this.#storage.payloads.markRotationAnswered(storageKey(this.model, parentValue), this.#storage.clock.now());
  }

  async destroy(id: string): Promise<void> {
    const key = storageKey(this.model, id);
    if (this.#durable) {
      await this.#storage.payloads.destroy(this.model, key);
      return;
    }
    // The consumed marker stays until it expires (see revokeGrantEverywhere).
    await this.#storage.oidcModels.remove(this.model, key);
  }

  /** Tokens of the grant, in both stores; the Grant itself follows oidc-provider's revokeGrantPolicy. */
  async revokeByGrantId(grantId: string): Promise<void> {
    await revokeGrantEverywhere(this.#storage, grantId, { includeGrant: false });
  }

  #expiresAt(expiresIn: number | undefined): Date | null {
    return expiresIn ? new Date(this.#storage.clock.now().getTime() + expiresIn * 1000) : null;
  }

  #restore(id: string, payload: AdapterPayload, consumed: number | undefined): AdapterPayload {
    const restored: AdapterPayload = CREDENTIAL_MODELS.has(this.model) ? { ...payload, jti: id } : { ...payload };
    if (consumed !== undefined) restored.consumed = consumed;
    return restored;
  }
}

/** The adapter oidc-provider sees: every call with store outages mapped to TemporarilyUnavailable. */
export function createAdapterFactory(storage: OidcStorage) {
  return (model: string) => {
    const adapter = new GatehouseAdapter(model, storage);
    return {
      upsert: (id: string, payload: AdapterPayload, expiresIn: number) => available(() => adapter.upsert(id, payload, expiresIn)),
      find: (id: string) => available(() => adapter.find(id)),
      findByUid: (uid: string) => available(() => adapter.findByUid(uid)),
      findByUserCode: (code: string) => available(() => adapter.findByUserCode(code)),
      consume: (id: string) => available(() => adapter.consume(id)),
      destroy: (id: string) => available(() => adapter.destroy(id)),
      revokeByGrantId: (grantId: string) => available(() => adapter.revokeByGrantId(grantId)),
      consumeOnce: (id: string) => available(() => adapter.consumeOnce(id)),
      rotateRefreshToken: (...args: Parameters<GatehouseAdapter['rotateRefreshToken']>) => available(() => adapter.rotateRefreshToken(...args)),
      rotationFacts: (value: string) => available(() => adapter.rotationFacts(value)),
      markRotationAnswered: (value: string) => available(() => adapter.markRotationAnswered(value)),
    };
  };
}

export type OidcAdapter = ReturnType<ReturnType<typeof createAdapterFactory>>;
