/**
 * What to do when a refresh token that was already rotated is presented again. A pure decision:
 * the glue in oidc/refresh-token-grant.ts gathers the facts, storage supplies the atomic consume.
 *
 * The grace window exists for one honest failure: a client that lost the response to its refresh
 * and retries. It covers only the immediate predecessor of the newest token; anything else is a
 * stolen token being replayed, and the whole family must die (RFC 9700 §4.14.2).
 */
export interface ConsumedRefreshFacts {
  /** When the presented token was consumed (epoch seconds). */
  consumedAt: number;
  now: number;
  graceSeconds: number;
  /** The token that replaced it, if that record still exists (it lives for the grace window). */
  successor: { value: string; consumed: boolean } | undefined;
}

export type ConsumedRefreshDecision =
  | { kind: 'replay'; successorValue: string }
  | { kind: 'reuse'; reason: 'grace_disabled' | 'grace_expired' | 'successor_unknown' | 'not_latest_generation' };

export function decideConsumedRefresh(facts: ConsumedRefreshFacts): ConsumedRefreshDecision {
  if (facts.graceSeconds <= 0) return { kind: 'reuse', reason: 'grace_disabled' };
  if (facts.now - facts.consumedAt > facts.graceSeconds) return { kind: 'reuse', reason: 'grace_expired' };
  if (!facts.successor) return { kind: 'reuse', reason: 'successor_unknown' };
  if (facts.successor.consumed) return { kind: 'reuse', reason: 'not_latest_generation' };
  return { kind: 'replay', successorValue: facts.successor.value };
}
