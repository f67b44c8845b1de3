/**
 * Upstream sign-ins in flight (federation/). The one place these keys are spelled.
 *
 *   federation:tx:<digest(state)>      the transaction a `state` stands for (interaction, provider,
 *                                      nonce, PKCE verifier), until the callback or its TTL
 *   federation:used:<digest(state)>    the state was consumed: a second use is a replay
 *   federation:result:<interaction>    the identity the callback verified, for that interaction
 *
 * States are kept under digests, so a dump of the store holds no value an attacker could send.
 */
import { createHash } from 'node:crypto';
import type { KeyValueStore } from '../key-value.ts';

export const FEDERATION_PREFIXES = ['federation:tx:', 'federation:used:', 'federation:result:'] as const;

const digest = (value: string) => createHash('sha256').update(value).digest('base64url');
const keys = {
  transaction: (state: string) => `federation:tx:${digest(state)}`,
  consumed: (state: string) => `federation:used:${digest(state)}`,
  result: (uid: string) => `federation:result:${uid}`,
};

export type TakenTransaction = { kind: 'found'; value: string } | { kind: 'unknown' } | { kind: 'replayed' };

export function createFederationKeyspace(kv: KeyValueStore) {
  return {
    saveTransaction: (state: string, value: string, ttlSeconds: number) => kv.set(keys.transaction(state), value, ttlSeconds),
    /** The transaction of `state`, consumed once: of two concurrent uses of one answer, one goes on. */
    async takeTransaction(state: string, ttlSeconds: number): Promise<TakenTransaction> {
      const value = await kv.get(keys.transaction(state));
      if (!value) return { kind: (await kv.get(keys.consumed(state))) ? 'replayed' : 'unknown' };
      if (!(await kv.setIfAbsent(keys.consumed(state), '1', ttlSeconds))) return { kind: 'replayed' };
      await kv.delete([keys.transaction(state)]);
      return { kind: 'found', value };
    },
    saveResult: (uid: string, value: string, ttlSeconds: number) => kv.set(keys.result(uid), value, ttlSeconds),
    /** The verified identity kept for interaction `uid`, once. */
    async takeResult(uid: string): Promise<string | undefined> {
      const value = await kv.get(keys.result(uid));
      if (value) await kv.delete([keys.result(uid)]);
      return value;
    },
  };
}

export type FederationKeyspace = ReturnType<typeof createFederationKeyspace>;
