/**
 * Known-device cookies (OWASP "Slow Down Online Guessing Attacks with Device Cookies"): a browser
 * that completed a sign-in to an account carries a random device id bound to that account. The
 * cookie is signed with the cookie keys by the edge (http/device-cookie.ts), so its claims can be
 * trusted once read; this file is the pure part — the claims and how they bind to an account.
 *
 * Claims name accounts by a digest of the normalized email (the key the sign-in limits use), so
 * the cookie holds no address in clear. At most five accounts per browser (the most recent).
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { normalizeEmail } from '../accounts/index.ts';

const MAX_ACCOUNTS = 5;

const claimsSchema = z.object({
  d: z.string().regex(/^[\w-]{16,64}$/),
  a: z.array(z.string().regex(/^[\w-]{8,64}$/)).max(MAX_ACCOUNTS),
});

export type DeviceClaims = z.infer<typeof claimsSchema>;

export const accountDigest = (email: string) => createHash('sha256').update(normalizeEmail(email)).digest('base64url').slice(0, 22);

export function decodeDeviceClaims(value: string | undefined): DeviceClaims | undefined {
  if (!value) return undefined;
  try {
    const parsed = claimsSchema.safeParse(JSON.parse(Buffer.from(value, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export const encodeDeviceClaims = (claims: DeviceClaims) => Buffer.from(JSON.stringify(claims)).toString('base64url');

/** The device id this browser holds for `email`, if it signed in to that account before. */
export function knownDeviceFor(claims: DeviceClaims | undefined, email: string): string | undefined {
  return claims?.a.includes(accountDigest(email)) ? claims.d : undefined;
}

/** The claims after a successful sign-in to `email` from this browser. */
export function rememberDevice(claims: DeviceClaims | undefined, email: string): DeviceClaims {
  const digest = accountDigest(email);
  return {
    d: claims?.d ?? randomBytes(16).toString('base64url'),
    a: [digest, ...(claims?.a ?? []).filter((entry) => entry !== digest)].slice(0, MAX_ACCOUNTS),
  };
}
