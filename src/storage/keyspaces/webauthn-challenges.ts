/**
 * WebAuthn challenges in flight (passkeys/). The one place these keys are spelled.
 *
 *   webauthn:challenge:<binding>   the challenges issued to one binding — `sign-in:<interaction uid>`
 *                                  or `account:<session uid>` — until used or their TTL
 *
 * A verification takes the whole set atomically: every challenge issued to the binding is spent
 * by the first response, whatever its outcome, so an assertion can never be replayed and a
 * challenge issued to another interaction or session is never found here.
 */
import type { KeyValueStore } from '../key-value.ts';

export const WEBAUTHN_PREFIXES = ['webauthn:challenge:'] as const;

const keys = { challenges: (binding: string) => `webauthn:challenge:${binding}` };

export function createWebAuthnChallengeKeyspace(kv: KeyValueStore) {
  return {
    issue: (binding: string, challenge: string, ttlSeconds: number) => kv.addToSet(keys.challenges(binding), challenge, ttlSeconds),
    /** Every pending challenge of `binding`, consumed at once (empty when none: never issued, spent or expired). */
    take: (binding: string) => kv.takeSet(keys.challenges(binding)),
  };
}

export type WebAuthnChallengeKeyspace = ReturnType<typeof createWebAuthnChallengeKeyspace>;
