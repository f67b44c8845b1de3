/**
 * Rate-limit and sign-in throttle state: the one place these keys are spelled.
 *
 *   rl:<limiter>:<key>                rate-limiter-flexible's counters (storage/rate-limiter-store.ts)
 *   signin-failures:<account digest>  set of "<hour bucket>|<IP digest>" failure marks
 *   signin-warned:<account digest>    the owner was mailed about this wave (once a day)
 *   signin-wait-used:<ticket>         a slow-down ticket was spent (once)
 */
import type { KeyValueStore } from '../key-value.ts';

export const RATE_LIMIT_PREFIXES = ['rl:', 'signin-failures:', 'signin-warned:', 'signin-wait-used:'] as const;

/** rate-limiter-flexible's key prefix for one named limiter. */
export const limiterKeyPrefix = (limiterName: string) => `rl:${limiterName}`;

const keys = {
  accountFailures: (accountDigest: string) => `signin-failures:${accountDigest}`,
  warned: (accountDigest: string) => `signin-warned:${accountDigest}`,
  waitUsed: (ticket: string) => `signin-wait-used:${ticket}`,
};

/** The account dimension of the sign-in throttle (security/index.ts), keyed by digests only. */
export function createSignInThrottleKeyspace(kv: KeyValueStore) {
  return {
    failureMarks: (accountDigest: string) => kv.members(keys.accountFailures(accountDigest)),
    addFailureMark: (accountDigest: string, mark: string, ttlSeconds: number) => kv.addToSet(keys.accountFailures(accountDigest), mark, ttlSeconds),
    dropFailureMarks: (accountDigest: string, marks: readonly string[]) =>
      Promise.all(marks.map((mark) => kv.removeFromSet(keys.accountFailures(accountDigest), mark))).then(() => undefined),
    /** True for the one caller that spends the ticket. */
    spendWaitTicket: (ticket: string, ttlSeconds: number) => kv.setIfAbsent(keys.waitUsed(ticket), '1', ttlSeconds),
    /** True for the one caller that gets to warn the owner in this period. */
    claimWarning: (accountDigest: string, ttlSeconds: number) => kv.setIfAbsent(keys.warned(accountDigest), '1', ttlSeconds),
  };
}

export type SignInThrottleKeyspace = ReturnType<typeof createSignInThrottleKeyspace>;
