/**
 * The passkey rules as pure decisions (unit-tested row by row in test/unit/passkeys/policy.test.ts).
 */

/** What a signature counter says about the authenticator (WebAuthn §6.1.1). */
export type CounterVerdict = 'ok' | 'regressed';

/**
 * | # | stored | received | verdict   | why                                                   |
 * |---|--------|----------|-----------|-------------------------------------------------------|
 * | 1 | 0      | 0        | ok        | the authenticator does not count (synced passkeys)     |
 * | 2 | any    | > stored | ok        | moved forward                                          |
 * | 3 | > 0    | ≤ stored | regressed | a clone, or a replayed authenticator state             |
 * | 4 | 0      | > 0      | ok        | started counting                                       |
 */
export function judgeCounter(stored: number, received: number): CounterVerdict {
  if (stored === 0 && received === 0) return 'ok';
  return received > stored ? 'ok' : 'regressed';
}

/** What to do with a regressed counter: `refuse` (the default) or `audit` (accept, but record it). */
export type CounterPolicy = 'refuse' | 'audit';

/**
 * RFC 8176 `amr` of a passkey assertion. A user-verified assertion proves possession of the key
 * and that the user was verified on the authenticator (PIN or biometric — which one is not told
 * to the relying party, so neither `pin` nor `fpt` is claimed, only `user`).
 *
 * - `hwk`: a device-bound key (backup state BS=0, the key never leaves the authenticator).
 * - `swk`: a synced passkey (BS=1): the key is copied between the devices of a cloud keychain, so
 *   it is not hardware-bound; still origin-bound, hence still phishing-resistant (loa:3).
 */
export function passkeyAmr(assertion: { backedUp: boolean; userVerified: boolean }): string[] {
  return [assertion.backedUp ? 'swk' : 'hwk', ...(assertion.userVerified ? ['user'] : [])];
}

/** Whether `amr` holds a passkey (the phishing-resistant method of loa:3). */
export const hasPasskey = (amr: readonly string[]) => amr.includes('hwk') || amr.includes('swk');
