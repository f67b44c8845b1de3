/**
 * Abuse resistance: fixed-window rate limits per endpoint and layered sign-in backoff.
 *
 * Sign-in failures are counted in three dimensions (keyed by the email as typed, so unknown
 * accounts behave exactly like real ones):
 *  - (account, IP): exponential backoff after a few free attempts — slows one attacker.
 *  - account (any IP): exponential backoff after more attempts, capped at the ceiling — a
 *    distributed attack slows down but can never lock the owner out longer than the ceiling.
 *  - IP (any account): credential stuffing — past a threshold the IP is blocked for a period.
 * A success resets the account dimensions (not the IP's stuffing counter).
 */
import type { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import { GatehouseError } from '../errors.ts';
import type { LimiterFactory } from '../storage/rate-limiter-store.ts';
import { type BackoffPolicy, backoffSeconds } from './backoff.ts';

export { type BackoffPolicy, backoffSeconds } from './backoff.ts';

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
  /** RFC 7591 registrations (GATEHOUSE_DCR_RATE_LIMIT_PER_HOUR overrides the points). */
  clientRegistrationPerIp: { points: 20, durationSeconds: 3600 },
} satisfies Record<string, WindowLimit>;

export type LimitName = keyof typeof DEFAULT_LIMITS;

export interface SignInPolicy {
  perAccountAndIp: BackoffPolicy;
  perAccount: BackoffPolicy;
}

export function defaultSignInPolicy(ceilingSeconds: number): SignInPolicy {
  return {
    perAccountAndIp: { freeFailures: 3, baseSeconds: 1, ceilingSeconds },
    perAccount: { freeFailures: 10, baseSeconds: 1, ceilingSeconds },
  };
}

export type SignInVerdict = { allowed: true } | { allowed: false; retryAfter: number; dimension: 'account_ip' | 'account' | 'ip' };

const DAY = 86_400;
const blockedFor = (res: RateLimiterRes | null, points: number) =>
  res && res.consumedPoints > points ? Math.ceil(res.msBeforeNext / 1000) : 0;

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
    account: deps.createLimiter({ name: 'fail-account', points: 1_000_000, durationSeconds: DAY }),
  };
  const blocks = {
    accountIp: deps.createLimiter({ name: 'block-account-ip', points: 1, durationSeconds: 1 }),
    account: deps.createLimiter({ name: 'block-account', points: 1, durationSeconds: 1 }),
  };

  /** Consumes a point without throwing when the window is exhausted (the count is what matters). */
  const penalize = async (name: LimitName, key: string): Promise<void> => {
    await windowLimiter(name)
      .consume(key)
      .catch((rejection: unknown) => {
        if (rejection instanceof Error) throw rejection;
      });
  };

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

    async checkSignIn(account: string, ip: string): Promise<SignInVerdict> {
      const [pair, acct, stuffing] = await Promise.all([
        blocks.accountIp.get(`${account}|${ip}`),
        blocks.account.get(account),
        windowLimiter('stuffingPerIp').get(ip),
      ]);
      const ipBlocked = blockedFor(stuffing, limits.stuffingPerIp.points);
      if (ipBlocked > 0) return { allowed: false, retryAfter: ipBlocked, dimension: 'ip' };
      const pairBlocked = blockedFor(pair, 1);
      if (pairBlocked > 0) return { allowed: false, retryAfter: pairBlocked, dimension: 'account_ip' };
      const accountBlocked = blockedFor(acct, 1);
      if (accountBlocked > 0) return { allowed: false, retryAfter: accountBlocked, dimension: 'account' };
      return { allowed: true };
    },

    /** Counts a failure in every dimension; returns the backoffs it started (for audit and mail). */
    async recordSignInFailure(account: string, ip: string): Promise<{ accountIpBackoff: number; accountBackoff: number; accountFailures: number }> {
      const [pair, acct] = await Promise.all([failures.accountIp.consume(`${account}|${ip}`), failures.account.consume(account)]);
      await penalize('stuffingPerIp', ip);
      const accountIpBackoff = backoffSeconds(pair.consumedPoints, deps.signIn.perAccountAndIp);
      const accountBackoff = backoffSeconds(acct.consumedPoints, deps.signIn.perAccount);
      await Promise.all([
        accountIpBackoff > 0 ? blocks.accountIp.block(`${account}|${ip}`, accountIpBackoff) : undefined,
        accountBackoff > 0 ? blocks.account.block(account, accountBackoff) : undefined,
      ]);
      return { accountIpBackoff, accountBackoff, accountFailures: acct.consumedPoints };
    },

    async recordSignInSuccess(account: string, ip: string): Promise<void> {
      await Promise.all([
        failures.accountIp.delete(`${account}|${ip}`),
        failures.account.delete(account),
        blocks.accountIp.delete(`${account}|${ip}`),
        blocks.account.delete(account),
      ]);
    },
  };
}

export type SecurityService = ReturnType<typeof createSecurityService>;
