/**
 * Re-runs and credentials (user password hashes, client secrets). A link remembers two digests:
 * of what Django held at the last import and of what the import wrote. Comparing both with now
 * tells who changed the credential since — and Gatehouse's change (a sign-in that re-hashed the
 * password, a reset, a secret rotation) always wins over the old one from Django.
 */
import { createHash } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest('base64url');

/** `<digest of Django's value>.<digest of the value written>`: no credential is stored in the link. */
export function credentialFingerprint(sourceValue: string, writtenValue: string): string {
  return `${digest(sourceValue)}.${digest(writtenValue)}`;
}

export type CredentialDecision =
  /** Django's value did not change since the last import: leave Gatehouse's as it is. */
  | { kind: 'unchanged' }
  /** Changed in Django only: write the new one. */
  | { kind: 'replace' }
  /** Changed on both sides (or Gatehouse's is unknown): keep Gatehouse's, remember Django's. */
  | { kind: 'keep_gatehouse' };

export function decideCredential(fingerprint: string | null, sourceValue: string, currentValue: string): CredentialDecision {
  const [source, written] = (fingerprint ?? '').split('.');
  if (source === digest(sourceValue)) return { kind: 'unchanged' };
  return written === digest(currentValue) ? { kind: 'replace' } : { kind: 'keep_gatehouse' };
}
