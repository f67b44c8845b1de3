import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { EmailTokenQueries } from '../storage/queries/email-tokens.ts';

export type EmailTokenPurpose = 'verify_email' | 'reset_password';

const digest = (token: string) => createHash('sha256').update(token).digest('base64url');

/**
 * Links sent by mail carry 256-bit random tokens; only their digest is stored, each works once
 * and expires. A new token of a purpose replaces the previous ones (the newest link wins).
 */
export function createEmailTokens(deps: { tokens: EmailTokenQueries; clock: Clock }) {
  return {
    async issue(userId: string, purpose: EmailTokenPurpose, ttlSeconds: number): Promise<string> {
      const token = randomBytes(32).toString('base64url');
      await deps.tokens.deleteForUser(userId, purpose);
      await deps.tokens.insert({ digest: digest(token), purpose, userId, expiresAt: new Date(deps.clock.now().getTime() + ttlSeconds * 1000) });
      return token;
    },
    consume: (token: string, purpose: EmailTokenPurpose) =>
      typeof token === 'string' && token.length <= 128 ? deps.tokens.consume(digest(token), purpose, deps.clock.now()) : Promise.resolve(undefined),
    /** The account a still-valid token belongs to, without using it up. */
    peek: (token: string, purpose: EmailTokenPurpose) =>
      typeof token === 'string' && token.length <= 128 ? deps.tokens.peek(digest(token), purpose, deps.clock.now()) : Promise.resolve(undefined),
  };
}

export type EmailTokens = ReturnType<typeof createEmailTokens>;
