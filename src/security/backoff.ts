/**
 * Exponential backoff after failed sign-ins: a pure rule. `freeFailures` attempts cost nothing;
 * then each failure doubles the wait from `baseSeconds`, capped at `ceilingSeconds` — a cap, not
 * a lock: an attacker can never keep an account unusable for longer than the ceiling.
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
