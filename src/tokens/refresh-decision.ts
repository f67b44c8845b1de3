/**
 * What to do when a refresh token that was already rotated is presented again. A pure decision:
 * storage rotates atomically and returns facts (storage/queries/oidc-payloads.ts), the glue in
 * oidc/refresh-token-grant.ts opens the sealed successor and asks this rule. The only copy of it.
 *
 * Replay exists for honest failures: a client whose refresh never reached it — the response was
 * lost on the way (inside the grace window), or the server never answered with it (the rotation
 * committed but the server could not know, e.g. the database link died mid-statement, and said
 * 503: replayable whatever the window, since the client cannot have the new token). It covers only the immediate
 * predecessor of a token nobody has used yet; anything else is a stolen token being replayed and
 * the family dies (RFC 9700 §4.14.2).
 */
export interface ConsumedRefreshFacts {
  /** When the presented token was consumed (epoch seconds). */
  consumedAt: number;
  now: number;
  graceSeconds: number;
  /** The token that replaced it, if its record still exists and could be opened with the presented token. */
  successor: { value: string; consumed: boolean } | undefined;
  /** Whether the server answered the rotation with its successor (it knew the rotation had committed). */
  answered: boolean;
}

export type ConsumedRefreshDecision =
  | { kind: 'replay'; successorValue: string; reason: 'inside_grace' | 'never_answered' }
  | { kind: 'reuse'; reason: 'grace_disabled' | 'grace_expired' | 'successor_unknown' | 'not_latest_generation' };

export function decideConsumedRefresh(facts: ConsumedRefreshFacts): ConsumedRefreshDecision {
  if (!facts.successor) return { kind: 'reuse', reason: 'successor_unknown' };
  if (facts.successor.consumed) return { kind: 'reuse', reason: 'not_latest_generation' };
  if (!facts.answered) return { kind: 'replay', successorValue: facts.successor.value, reason: 'never_answered' };
  if (facts.graceSeconds <= 0) return { kind: 'reuse', reason: 'grace_disabled' };
  if (facts.now - facts.consumedAt > facts.graceSeconds) return { kind: 'reuse', reason: 'grace_expired' };
  return { kind: 'replay', successorValue: facts.successor.value, reason: 'inside_grace' };
}
