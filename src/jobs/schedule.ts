/**
 * When jobs run: pure functions of intervals, the last success and a random draw, so the
 * scheduler's rules are tested without timers.
 */

/** ±10 %: instances started together drift apart instead of contending in lockstep. */
export const JITTER = 0.1;

/**
 * A cluster job's instances check whether it is due at least this often (seconds): a check is one
 * lock attempt and one read, and checking often makes "once per interval" hold after restarts.
 */
export const MAX_CHECK_PERIOD_SECONDS = 300;

/** `ms` moved by up to ±JITTER; `random` returns [0, 1). */
export function jittered(ms: number, random: () => number): number {
  return Math.max(1, Math.round(ms * (1 + JITTER * (2 * random() - 1))));
}

/** How long until the next check of a job: cluster jobs check more often than they run. */
export function checkPeriodSeconds(scope: 'cluster' | 'instance', intervalSeconds: number): number {
  return scope === 'cluster' ? Math.min(intervalSeconds, MAX_CHECK_PERIOD_SECONDS) : intervalSeconds;
}

/** A cluster job is due when it never succeeded or its last success is at least one interval old. */
export function isDue(lastSuccessAt: Date | null | undefined, intervalSeconds: number, now: Date): boolean {
  return !lastSuccessAt || now.getTime() - lastSuccessAt.getTime() >= intervalSeconds * 1000;
}
