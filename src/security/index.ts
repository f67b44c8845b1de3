/**
 * Abuse resistance: fixed-window rate limits per endpoint and the layered sign-in throttle.
 *
 * Sign-in failures are counted in four dimensions (keyed by the email as typed, so unknown
 * accounts behave exactly like real ones); the verdict is the pure rule `decideThrottle`
 * (backoff.ts):
 *  - IP (any account): credential stuffing — past a threshold the IP is blocked for a period.
 *  - known device: a browser that signed in to this account before carries a signed device
 *    cookie (OWASP "device cookies"); it has its own failure budget and is never slowed by
 *    anybody else's failures.
 *  - (account, IP): exponential backoff after a few free attempts — slows one attacker.
 *  - account (from browsers that are not known devices): counted once per (IP, hour) over the
 *    last day, on the injected clock. It never refuses: past the free allowance each new sign-in
 *    waits (≤ the ceiling) and is then checked, so nobody can keep the owner out.
 * A success clears the (account, IP) and device counters; the account-wide count is left to
 * decay (the owner signing in does not give an attacker fresh free attempts).
 */
import { createHash } from 'node:crypto';
import type { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import type { Clock } from '../clock.ts';
import { GatehouseError } from '../errors.ts';
import type { SignInThrottleKeyspace } from '../storage/keyspaces/rate-limits.ts';
import type { LimiterFactory } from '../storage/rate-limiter-store.ts';
import {
  type BackoffPolicy,
  backoffSeconds,
  decideThrottle,
  FAILURE_BUCKET_SECONDS,
  FAILURE_WINDOW_BUCKETS,
  failureBucket,
  recentFailures,
  type ThrottleVerdict,
} from './backoff.ts';

export { type BackoffPolicy, backoffSeconds, decideThrottle, type ThrottleFacts, type ThrottleVerdict } from './backoff.ts';

export class RateLimited extends GatehouseError {
  readonly retryAfter: number;
  constructor(retryAfter: number, message = 'Too many attempts. Please wait and try again.') {
    super('rate_limited', message);
    this.retryAfter = Math.max(1, Math.ceil(retryAfter));
  }
}

export interface WindowLimit {
  points: number;
  durationSeconds: number;
  blockSeconds?: number;
}

/** Limits as code. Token-endpoint budgets sit above one core's signing capacity: they stop runaways, not traffic. */
export const DEFAULT_LIMITS = {
  tokenPerClient: { points: 200_000, durationSeconds: 60 },
  tokenPerIp: { points: 200_000, durationSeconds: 60 },
  clientAuthFailuresPerIp: { points: 5, durationSeconds: 60 },
  introspectionPerClient: { points: 200_000, durationSeconds: 60 },
  revocationPerClient: { points: 20_000, durationSeconds: 60 },
  signInPerIp: { points: 60, durationSeconds: 60 },
  passwordResetPerIp: { points: 10, durationSeconds: 3600 },
  registrationPerIp: { points: 10, durationSeconds: 3600 },
  verificationMailPerAccount: { points: 5, durationSeconds: 3600 },
  stuffingPerIp: { points: 20, durationSeconds: 900, blockSeconds: 3600 },
  /**
   * RFC 8628 §5.1: wrong user codes typed on /device. With 8 characters of a 20-letter alphabet
   * (~34.5 bits) and these budgets, guessing one live code stays out of reach.
   */
  userCodeFailuresPerIp: { points: 20, durationSeconds: 900, blockSeconds: 900 },
  userCodeFailuresPerSession: { points: 5, durationSeconds: 900, blockSeconds: 900 },
  /** RFC 7591 registrations (GATEHOUSE_DCR_RATE_LIMIT_PER_HOUR overrides the points). */
  clientRegistrationPerIp: { points: 20, durationSeconds: 3600 },
} satisfies Record<string, WindowLimit>;

export type LimitName = keyof typeof DEFAULT_LIMITS;

export interface SignInPolicy {
  perAccountAndIp: BackoffPolicy;
  perAccount: BackoffPolicy;
  /** Wrong attempts a known device may make per day before it is treated like any new browser. */
  knownDeviceFailures: number;
}

export function defaultSignInPolicy(ceilingSeconds: number): SignInPolicy {
  return {
    perAccountAndIp: { freeFailures: 3, baseSeconds: 1, ceilingSeconds },
    perAccount: { freeFailures: 10, baseSeconds: 1, ceilingSeconds },
    knownDeviceFailures: 10,
  };
}

/** One sign-in attempt: the account (the email as typed, normalized), the IP, and the device cookie bound to it. */
export interface SignInAttempt {
  account: string;
  ip: string;
  /** The id of a device cookie this browser holds for this account (verified by the caller). */
  device?: string | undefined;
}

/** The slow-down a sign-in was given: it may try from `notBeforeMs`, once (`ticket`). */
export interface SignInWait {
  notBeforeMs: number;
  ticket: string;
}

const DAY = 86_400;
const blockedFor = (res: RateLimiterRes | null, points: number) =>
  res && res.consumedPoints > points ? Math.ceil(res.msBeforeNext / 1000) : 0;
const digest = (value: string) => createHash('sha256').update(value).digest('base64url').slice(0, 16);

/**
 * Budgets that only stop runaway clients are counted per instance (no Redis round trip on the
 * token endpoint's hot path); every limit that defends against an attacker is shared.
 */
const PER_INSTANCE: ReadonlySet<LimitName> = new Set(['tokenPerClient', 'tokenPerIp', 'introspectionPerClient']);

export function createSecurityService(deps: {
  createLimiter: LimiterFactory;
  createLocalLimiter: LimiterFactory;
  limits?: Partial<Record<LimitName, WindowLimit>>;
  signIn: SignInPolicy;
  /** The account dimension's marks (storage/keyspaces/rate-limits.ts), keyed by digests of the account. */
  throttleMarks: SignInThrottleKeyspace;
  clock: Clock;
}) {
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  const windows = new Map<LimitName, RateLimiterAbstract>();
  const windowLimiter = (name: LimitName) => {
    let limiter = windows.get(name);
    if (!limiter) {
      limiter = (PER_INSTANCE.has(name) ? deps.createLocalLimiter : deps.createLimiter)({ name, ...limits[name] });
      windows.set(name, limiter);
    }
    return limiter;
  };
  const failures = {
    accountIp: deps.createLimiter({ name: 'fail-account-ip', points: 1_000_000, durationSeconds: DAY }),
    device: deps.createLimiter({ name: 'fail-device', points: 1_000_000, durationSeconds: DAY }),
  };
  const blocks = {
    accountIp: deps.createLimiter({ name: 'block-account-ip', points: 1, durationSeconds: 1 }),
  };
  const pairKey = (attempt: SignInAttempt) => `${attempt.account}|${attempt.ip}`;
  const deviceKey = (attempt: SignInAttempt) => `${attempt.device}|${digest(attempt.account)}`;

  /** Consumes a point without throwing when the window is exhausted (the count is what matters). */
  const penalize = async (name: LimitName, key: string): Promise<void> => {
    await windowLimiter(name)
      .consume(key)
      .catch((rejection: unknown) => {
        if (rejection instanceof Error) throw rejection;
      });
  };

  const deviceFailures = async (attempt: SignInAttempt) =>
    attempt.device ? ((await failures.device.get(deviceKey(attempt)))?.consumedPoints ?? 0) : undefined;
  /** A known device still within its own budget (otherwise it counts as any new browser). */
  const trustedDevice = async (attempt: SignInAttempt) => {
    const failed = await deviceFailures(attempt);
    return failed !== undefined && failed < deps.signIn.knownDeviceFailures;
  };
  const accountFailures = async (account: string) => recentFailures(await deps.throttleMarks.failureMarks(digest(account)), deps.clock.now().getTime());

  return {
    limits,
    penalize,

    /** Consumes one point of a window limit; throws RateLimited when it is exhausted. */
    async consume(name: LimitName, key: string): Promise<void> {
      try {
        await windowLimiter(name).consume(key);
      } catch (rejection) {
        if (rejection instanceof Error) throw rejection;
        throw new RateLimited((rejection as RateLimiterRes).msBeforeNext / 1000);
      }
    },

    /** Seconds until `key` may try again under a window limit (0 = allowed), without consuming. */
    async retryAfter(name: LimitName, key: string): Promise<number> {
      const res = await windowLimiter(name).get(key);
      if (!res) return 0;
      return res.consumedPoints >= limits[name].points ? Math.max(1, Math.ceil(res.msBeforeNext / 1000)) : 0;
    },

    /**
     * The verdict for one attempt (see decideThrottle). `wait` is the slow-down this sign-in was
     * given before; when the verdict redeems it, it is used up atomically (two parallel requests
     * of one sign-in cannot both spend it).
     */
    async throttle(attempt: SignInAttempt, wait?: SignInWait): Promise<ThrottleVerdict> {
      const [pair, stuffing, device, account] = await Promise.all([
        blocks.accountIp.get(pairKey(attempt)),
        windowLimiter('stuffingPerIp').get(attempt.ip),
        deviceFailures(attempt),
        accountFailures(attempt.account),
      ]);
      const facts = {
        nowMs: deps.clock.now().getTime(),
        ipBlockedSeconds: blockedFor(stuffing, limits.stuffingPerIp.points),
        knownDevice: device === undefined ? undefined : { failures: device },
        pairBlockedSeconds: blockedFor(pair, 1),
        accountFailures: account,
        wait,
        policy: { perAccount: deps.signIn.perAccount, knownDeviceFailures: deps.signIn.knownDeviceFailures },
      };
      const verdict = decideThrottle(facts);
      if (verdict.kind !== 'proceed' || !verdict.redeemWait || !wait) return verdict;
      if (await deps.throttleMarks.spendWaitTicket(wait.ticket, deps.signIn.perAccount.ceilingSeconds + 3600)) return verdict;
      return decideThrottle({ ...facts, wait: undefined });
    },

    /**
     * Counts a failure in the dimensions this attempt belongs to. `warnOwner` is true once per
     * wave: the first failure that starts the account-wide slow-down (for the owner's mail).
     */
    async recordFailure(attempt: SignInAttempt): Promise<{ warnOwner: boolean }> {
      await penalize('stuffingPerIp', attempt.ip);
      if (await trustedDevice(attempt)) {
        await failures.device.consume(deviceKey(attempt));
        return { warnOwner: false };
      }
      const pair = await failures.accountIp.consume(pairKey(attempt));
      const pairBackoff = backoffSeconds(pair.consumedPoints, deps.signIn.perAccountAndIp);
      if (pairBackoff > 0) await blocks.accountIp.block(pairKey(attempt), pairBackoff);

      const nowMs = deps.clock.now().getTime();
      const account = digest(attempt.account);
      const members = await deps.throttleMarks.failureMarks(account);
      const before = recentFailures(members, nowMs);
      await deps.throttleMarks.addFailureMark(account, `${failureBucket(nowMs)}|${digest(attempt.ip)}`, (FAILURE_WINDOW_BUCKETS + 1) * FAILURE_BUCKET_SECONDS);
      // Marks that left the window are dropped here, so a long attack cannot grow the set forever.
      const oldest = failureBucket(nowMs) - FAILURE_WINDOW_BUCKETS + 1;
      await deps.throttleMarks.dropFailureMarks(account, members.filter((member) => Number(member.split('|')[0]) < oldest));
      const after = await accountFailures(attempt.account);
      const started = backoffSeconds(before, deps.signIn.perAccount) === 0 && backoffSeconds(after, deps.signIn.perAccount) > 0;
      const warnOwner = started && (await deps.throttleMarks.claimWarning(account, DAY));
      return { warnOwner };
    },

    async recordSuccess(attempt: SignInAttempt): Promise<void> {
      await Promise.all([
        failures.accountIp.delete(pairKey(attempt)),
        blocks.accountIp.delete(pairKey(attempt)),
        attempt.device ? failures.device.delete(deviceKey(attempt)) : undefined,
      ]);
    },
  };
}

export type SecurityService = ReturnType<typeof createSecurityService>;
