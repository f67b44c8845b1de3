/**
 * The sign-in throttle as pure rules: the backoff schedule, how account-wide failures are
 * counted, and the verdict for one attempt.
 */

/**
 * Exponential backoff: `freeFailures` attempts cost nothing; then each failure doubles the wait
 * from `baseSeconds`, capped at `ceilingSeconds`.
 */
export interface BackoffPolicy {
  freeFailures: number;
  baseSeconds: number;
  ceilingSeconds: number;
}

export function backoffSeconds(failures: number, policy: BackoffPolicy): number {
  if (failures <= policy.freeFailures) return 0;
  const exponent = Math.min(failures - policy.freeFailures - 1, 30);
  return Math.min(policy.baseSeconds * 2 ** exponent, policy.ceilingSeconds);
}

/** Account-wide failures are counted once per (IP, hour) over the last day (the window decays on its own). */
export const FAILURE_BUCKET_SECONDS = 3600;
export const FAILURE_WINDOW_BUCKETS = 24;

export const failureBucket = (nowMs: number) => Math.floor(nowMs / 1000 / FAILURE_BUCKET_SECONDS);

/** Distinct (bucket, IP) marks still inside the window: `members` are `${bucket}|${ip digest}`. */
export function recentFailures(members: readonly string[], nowMs: number): number {
  const oldest = failureBucket(nowMs) - FAILURE_WINDOW_BUCKETS + 1;
  return members.filter((member) => Number(member.split('|')[0]) >= oldest).length;
}

export interface ThrottleFacts {
  nowMs: number;
  /** Seconds left of this IP's credential-stuffing block (0: none). */
  ipBlockedSeconds: number;
  /** This browser carries a device cookie for this account (signed, bound to it): its own budget. */
  knownDevice: { failures: number } | undefined;
  /** Seconds left of the (account, IP) backoff block (0: none). */
  pairBlockedSeconds: number;
  /** Account-wide failures from browsers that are not known devices (recentFailures). */
  accountFailures: number;
  /** The slow-down this sign-in (interaction) was already given for this account, if any. */
  wait: { notBeforeMs: number } | undefined;
  policy: { perAccount: BackoffPolicy; knownDeviceFailures: number };
}

export type ThrottleVerdict =
  /** Check the credential. `redeemWait`: this attempt uses up the slow-down it waited out. */
  | { kind: 'proceed'; redeemWait: boolean }
  /** Refused outright: only ever for this IP, or this account from this IP. */
  | { kind: 'refused'; dimension: 'ip' | 'account_ip'; retryAfter: number }
  /** Slowed down: this sign-in may try at `notBeforeMs` whatever else happens meanwhile. */
  | { kind: 'wait'; retryAfter: number; notBeforeMs: number };

const secondsUntil = (nowMs: number, atMs: number) => Math.max(1, Math.ceil((atMs - nowMs) / 1000));

/**
 * The verdict for one sign-in attempt, before the credential is checked (a refused or slowed
 * attempt costs the attacker a request, not a guess):
 *
 * | # | facts                                                        | verdict                     |
 * |---|--------------------------------------------------------------|-----------------------------|
 * | 1 | the IP is blocked for credential stuffing                    | refused (ip)                |
 * | 2 | known device within its own failure budget                   | proceed                     |
 * | 3 | (account, IP) backoff running                                | refused (account_ip)        |
 * | 4 | account-wide failures within the free allowance              | proceed                     |
 * | 5 | this sign-in already waited its slow-down, and it has passed | proceed (redeem the wait)   |
 * | 6 | this sign-in is still inside its slow-down                   | wait (the rest of it)       |
 * | 7 | account-wide backoff, no slow-down given yet                 | wait (backoff, ≤ ceiling)   |
 *
 * Rows 5–7 are why an attacker cannot lock the owner out: account-wide failures never refuse
 * anyone; they give each new sign-in a wait of at most the ceiling, and once waited, that
 * sign-in's attempt is checked whatever the attacker did meanwhile. A known device (row 2) is
 * not even slowed.
 */
export function decideThrottle(facts: ThrottleFacts): ThrottleVerdict {
  if (facts.ipBlockedSeconds > 0) return { kind: 'refused', dimension: 'ip', retryAfter: facts.ipBlockedSeconds };
  if (facts.knownDevice && facts.knownDevice.failures < facts.policy.knownDeviceFailures) return { kind: 'proceed', redeemWait: false };
  if (facts.pairBlockedSeconds > 0) return { kind: 'refused', dimension: 'account_ip', retryAfter: facts.pairBlockedSeconds };
  const backoff = backoffSeconds(facts.accountFailures, facts.policy.perAccount);
  if (backoff === 0) return { kind: 'proceed', redeemWait: false };
  if (facts.wait && facts.wait.notBeforeMs <= facts.nowMs) return { kind: 'proceed', redeemWait: true };
  if (facts.wait) return { kind: 'wait', retryAfter: secondsUntil(facts.nowMs, facts.wait.notBeforeMs), notBeforeMs: facts.wait.notBeforeMs };
  return { kind: 'wait', retryAfter: backoff, notBeforeMs: facts.nowMs + backoff * 1000 };
}
