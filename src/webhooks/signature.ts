/**
 * Delivery signatures as Standard Webhooks defines them (standardwebhooks.com, the scheme of
 * Svix and, in spirit, Stripe): an HMAC-SHA256, keyed by the subscription's secret, over
 * `{webhook-id}.{webhook-timestamp}.{body}`, sent base64-encoded as `webhook-signature: v1,<sig>`.
 * The receiver recomputes it (README: "Event hooks"), compares in constant time and refuses a
 * timestamp far from its clock, so a captured delivery cannot be replayed later.
 */
import { createHmac, randomBytes } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';

/** A new signing secret: 32 random bytes, `whsec_` + base64, as Standard Webhooks writes them. */
export function newSigningSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** The `webhook-signature` header value for one delivery. */
export function signatureHeader(secret: string, message: { id: string; timestamp: number; body: string }): string {
  const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
  const signature = createHmac('sha256', key).update(`${message.id}.${message.timestamp}.${message.body}`).digest('base64');
  return `v1,${signature}`;
}
