/** When a failed delivery is tried again: pure, so the schedule is tested without timers. */

/** The longest wait between two attempts. */
export const MAX_RETRY_DELAY_SECONDS = 6 * 3600;

/**
 * Seconds until the next attempt after `attempts` failed ones: `base`, then doubling (exponential
 * backoff), capped; a receiver that is down for a while is not hammered, one that blinked is
 * retried soon.
 */
export function retryDelaySeconds(attempts: number, baseSeconds: number): number {
  return Math.min(MAX_RETRY_DELAY_SECONDS, baseSeconds * 2 ** Math.max(0, attempts - 1));
}

/** After `attempts` failed attempts: try again, or give up (dead letter). */
export function afterFailure(attempts: number, maxAttempts: number): 'retry' | 'dead' {
  return attempts >= maxAttempts ? 'dead' : 'retry';
}
