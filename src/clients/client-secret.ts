import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isVerifiableDjangoHash, verifyDjangoHash } from '../legacy-hashes/django.ts';

const PREFIX = 'sha256:';

/** 256 bits from the CSPRNG: long enough that a fast digest is a safe way to store it. */
export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Client secrets are stored as SHA-256 digests. They are 256-bit random values, so a slow hash
 * would add nothing but cost on the token endpoint's hot path.
 */
export function hashClientSecret(secret: string): string {
  return PREFIX + createHash('sha256').update(secret, 'utf8').digest('base64url');
}

/** Constant-time comparison of a presented secret with a stored digest. */
export function clientSecretMatches(stored: string | undefined, presented: string): boolean {
  if (!stored?.startsWith(PREFIX)) return false;
  const expected = Buffer.from(stored.slice(PREFIX.length), 'base64url');
  const actual = createHash('sha256').update(presented, 'utf8').digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** A secret replaced by rotation, still accepted until `expires_at` (epoch seconds). */
export interface PreviousClientSecret {
  digest: string;
  expires_at: number;
}

/**
 * The current secret, or a previous one inside its overlap window: rotation never cuts off a
 * fleet that has not yet picked up the new secret.
 */
export function clientSecretAccepted(
  secrets: { current: string | undefined; previous: readonly PreviousClientSecret[] | undefined },
  presented: string,
  nowSeconds: number,
): boolean {
  if (clientSecretMatches(secrets.current, presented)) return true;
  return (secrets.previous ?? []).some((entry) => entry.expires_at > nowSeconds && clientSecretMatches(entry.digest, presented));
}

/**
 * A secret imported from django-oauth-toolkit ≥ 2.0, which stores client secrets hashed with
 * Django's password hashers. It stays in that form until the client's first successful
 * authentication, which re-stores it as a digest (`acceptImportedSecret` in the client service).
 */
export function isImportedClientSecret(stored: string | undefined): stored is string {
  return stored !== undefined && !stored.startsWith(PREFIX) && isVerifiableDjangoHash(stored);
}

/** Django-hasher verification of a presented secret against an imported one (constant-time, never throws). */
export function importedClientSecretMatches(stored: string, presented: string): Promise<boolean> {
  return verifyDjangoHash(stored, presented);
}
