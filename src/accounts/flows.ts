/**
 * Registration with email verification, and password reset — the flows around an account that
 * run through mailed links. Every answer is the same whether or not the email has an account
 * (no enumeration); the work done is comparable too (a password hash either way).
 */
import type { Mailer } from '../mail/index.ts';
import type { EmailTokens } from './email-tokens.ts';
import type { AccountService } from './index.ts';

export interface AccountFlowsDeps {
  accounts: AccountService;
  tokens: EmailTokens;
  mailer: Mailer;
  /** Renders a mail body from views/mail/. */
  mailText: (template: string, data: Record<string, unknown>) => string;
  issuer: string;
  verifyTtlSeconds: number;
  resetTtlSeconds: number;
  /** Ends every session and revokes every grant (a reset signs the account out everywhere). */
  signOutEverywhere: (accountId: string) => Promise<unknown>;
  audit: (type: string, subject: string, details?: Record<string, unknown>) => void;
}

export function createAccountFlows(deps: AccountFlowsDeps) {
  const link = (path: string, token: string) => `${deps.issuer}${path}?token=${encodeURIComponent(token)}`;

  async function sendVerification(account: { id: string; email: string }) {
    const token = await deps.tokens.issue(account.id, 'verify_email', deps.verifyTtlSeconds);
    await deps.mailer.send({
      to: account.email,
      subject: 'Confirm your email address',
      text: deps.mailText('verify-email', { link: link('/verify-email', token), hours: Math.round(deps.verifyTtlSeconds / 3600) }),
    });
  }

  return {
    /** Creates the account (unverified) and mails a link; for a taken email, mails the owner instead. */
    async register(input: { email: string; password: string; name?: string }): Promise<void> {
      const outcome = await deps.accounts.register(input);
      if (outcome.kind === 'created') {
        deps.audit('registration', outcome.account.id, {});
        await sendVerification(outcome.account);
        return;
      }
      deps.audit('registration.existing_email', outcome.account.id, {});
      await deps.mailer.send({
        to: outcome.account.email,
        subject: 'You already have an account',
        text: deps.mailText('already-registered', { resetLink: `${deps.issuer}/password/forgot` }),
      });
    },

    resendVerification: (account: { id: string; email: string }) => sendVerification(account),

    async verifyEmail(token: string): Promise<boolean> {
      const userId = await deps.tokens.consume(token, 'verify_email');
      if (!userId) return false;
      await deps.accounts.markEmailVerified(userId);
      deps.audit('email.verified', userId, {});
      return true;
    },

    async requestPasswordReset(email: string): Promise<void> {
      const account = await deps.accounts.findByEmail(email);
      if (!account) return;
      const token = await deps.tokens.issue(account.id, 'reset_password', deps.resetTtlSeconds);
      deps.audit('password.reset_requested', account.id, {});
      await deps.mailer.send({
        to: account.email,
        subject: 'Reset your password',
        text: deps.mailText('reset-password', { link: link('/password/reset', token), minutes: Math.round(deps.resetTtlSeconds / 60) }),
      });
    },

    resetTokenIsValid: async (token: string) => (await deps.tokens.peek(token, 'reset_password')) !== undefined,

    /**
     * Checks the new password first (a rejected password does not burn the link), then consumes
     * the link, sets the password, signs the account out everywhere and mails the owner.
     */
    async resetPassword(token: string, newPassword: string): Promise<'done' | 'invalid_link'> {
      const owner = await deps.tokens.peek(token, 'reset_password');
      if (!owner) return 'invalid_link';
      await deps.accounts.validateNewPassword(owner, newPassword);
      const userId = await deps.tokens.consume(token, 'reset_password');
      if (userId !== owner) return 'invalid_link';
      const account = await deps.accounts.setPassword(userId, newPassword);
      await deps.signOutEverywhere(userId);
      deps.audit('password.reset', userId, {});
      await deps.mailer.send({ to: account.email, subject: 'Your password was reset', text: deps.mailText('password-reset-done', {}) });
      return 'done';
    },
  };
}

export type AccountFlows = ReturnType<typeof createAccountFlows>;
