/**
 * Signing-key lifecycle as pure functions of stored timestamps and `now`, so every instance
 * derives the same state from the same rows:
 *
 *   published  (in JWKS, not signing)      publish_at ≤ now < activate_at
 *   active     (signs)                     activate_at ≤ now < deactivate_at — newest per alg
 *   retiring   (in JWKS, verify only)      deactivate_at ≤ now < retire_at
 *   retired    (gone)                      retire_at ≤ now
 *   revoked    (gone, at once)             revoked_at set
 *
 * A new key is published at least one JWKS cache lifetime before it signs, so resource servers
 * that honour Cache-Control already hold it; a superseded key stays published until every token
 * it signed has expired.
 */
export type KeyState = 'pending' | 'published' | 'active' | 'retiring' | 'retired' | 'revoked';

export interface KeyTimes {
  kid: string;
  alg: string;
  publish_at: Date;
  activate_at: Date;
  deactivate_at: Date | null;
  retire_at: Date | null;
  revoked_at: Date | null;
}

export interface RotationPolicy {
  /** How long a key signs before the next one takes over. */
  rotationIntervalSeconds: number;
  /** Publish-before-sign lead; config guarantees it is ≥ the JWKS max-age. */
  publishLeadSeconds: number;
  /** Longest lifetime of a token signed by a key, plus clock-skew margin. */
  retireAfterSeconds: number;
}

const at = (date: Date | null) => date?.getTime() ?? Number.POSITIVE_INFINITY;

/** The key of `alg` that signs at `now`: the newest activated, unrevoked, not deactivated key. */
export function signingKey<T extends KeyTimes>(rows: readonly T[], alg: string, now: Date): T | undefined {
  const t = now.getTime();
  return rows
    .filter((r) => r.alg === alg && !r.revoked_at && r.activate_at.getTime() <= t && at(r.deactivate_at) > t)
    .sort((a, b) => b.activate_at.getTime() - a.activate_at.getTime())[0];
}

export function keyState(row: KeyTimes, rows: readonly KeyTimes[], now: Date): KeyState {
  const t = now.getTime();
  if (row.revoked_at && row.revoked_at.getTime() <= t) return 'revoked';
  if (at(row.retire_at) <= t) return 'retired';
  if (row.publish_at.getTime() > t) return 'pending';
  if (row.activate_at.getTime() > t) return 'published';
  if (signingKey(rows, row.alg, now)?.kid === row.kid) return 'active';
  return 'retiring';
}

/** Keys whose public half belongs in the JWKS. */
export function publishedKeys<T extends KeyTimes>(rows: readonly T[], now: Date): T[] {
  return rows.filter((row) => ['published', 'active', 'retiring'].includes(keyState(row, rows, now)));
}

export interface RotationPlan {
  alg: string;
  publishAt: Date;
  activateAt: Date;
  /** The key being superseded, with the times it stops signing and leaves the JWKS. */
  supersede?: { kid: string; deactivateAt: Date; retireAt: Date };
}

const plus = (date: Date, seconds: number) => new Date(date.getTime() + seconds * 1000);

/**
 * Is a new key of `alg` due? Due when no successor is scheduled and the active key's turn ends
 * within the publish lead (or `force` asks for one now). The successor activates when the active
 * key's turn ends, but never before it has been published for a full lead.
 */
export function planRotation(
  rows: readonly KeyTimes[],
  alg: string,
  now: Date,
  policy: RotationPolicy,
  force = false,
): RotationPlan | undefined {
  const active = signingKey(rows, alg, now);
  const scheduled = rows.some((r) => r.alg === alg && !r.revoked_at && r.activate_at > now);
  if (!active) return { alg, publishAt: now, activateAt: now };
  if (scheduled) return undefined;
  const turnEnds = plus(active.activate_at, policy.rotationIntervalSeconds);
  if (!force && plus(now, policy.publishLeadSeconds) < turnEnds) return undefined;
  const earliest = plus(now, policy.publishLeadSeconds);
  const activateAt = force || turnEnds < earliest ? earliest : turnEnds;
  return {
    alg,
    publishAt: now,
    activateAt,
    supersede: { kid: active.kid, deactivateAt: activateAt, retireAt: plus(activateAt, policy.retireAfterSeconds) },
  };
}

export interface RevocationPlan {
  revokedKid: string;
  /** A published successor to activate at once, if one exists. */
  activateKid?: string;
  /** No successor: a fresh key must be created, active now. */
  generateAlg?: string;
  /** The window in which the revoked key signed tokens. */
  signedFrom: Date;
  signedUntil: Date;
}

/** Compromise: the key leaves the JWKS now, and the next key signs now. */
export function planRevocation(rows: readonly KeyTimes[], kid: string, now: Date): RevocationPlan | undefined {
  const row = rows.find((r) => r.kid === kid);
  if (!row || row.revoked_at) return undefined;
  const wasSigning = signingKey(rows, row.alg, now)?.kid === kid;
  const base = {
    revokedKid: kid,
    signedFrom: row.activate_at,
    signedUntil: new Date(Math.min(now.getTime(), at(row.deactivate_at))),
  };
  if (!wasSigning) return base;
  const successor = rows
    .filter((r) => r.alg === row.alg && r.kid !== kid && !r.revoked_at && r.activate_at > now)
    .sort((a, b) => a.activate_at.getTime() - b.activate_at.getTime())[0];
  return successor ? { ...base, activateKid: successor.kid } : { ...base, generateAlg: row.alg };
}
