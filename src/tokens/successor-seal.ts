/**
 * The successor of a rotated refresh token is kept, for replays, sealed under a key derived from
 * the PARENT token: HKDF-SHA256 over the parent's value → compact JWE (dir + A256GCM, jose).
 * Storage holds only the parent's digest, so a dump of every store opens nothing; only a holder of
 * the parent token can get its successor back — which is exactly who a replay serves.
 */
import { hkdfSync } from 'node:crypto';
import { seal, unseal } from '../sealing.ts';

/** Domain separation: this key is used for nothing else. */
const INFO = 'gatehouse/refresh-token-successor/v1';

function keyOf(parentValue: string): Uint8Array {
  // Refresh tokens carry 256 random bits, so the parent value itself is uniform key material: no salt needed (RFC 5869 §3.1).
  return new Uint8Array(hkdfSync('sha256', parentValue, new Uint8Array(0), INFO, 32));
}

export function sealSuccessor(successorValue: string, parentValue: string): Promise<string> {
  return seal(successorValue, keyOf(parentValue), 'refresh-token');
}

/** The successor's value, or undefined when `parentValue` is not the token it was sealed for. */
export async function openSuccessor(sealed: string, parentValue: string): Promise<string | undefined> {
  try {
    return await unseal(sealed, keyOf(parentValue));
  } catch {
    return undefined;
  }
}
