/**
 * The flows around an account that end in a mail: registration with email verification,
 * password reset, and password change. Every answer is the same whether or not the email has an
 * account (no enumeration), and so is the time it takes: mails are queued (notifications), and
 * the reset request does its work after the response.
 *
 * One rule for a new password, whichever way it was set (reset link or account page): every
 * other session and app is signed out, the change is audited and the owner is mailed.
 */
import type { BackgroundTasks } from '../background.ts';
import type { Notice } from '../notifications/index.ts';
import type { EmailTokens } from './email-tokens.ts';
import type { AccountService } from './index.ts';

export interface AccountFlowsDeps {
  accounts: AccountService;
  tokens: EmailTokens;
  /** Queues a user mail (notifications/). */
  notify: (to: string, notice: Notice, options?: { waitForDelivery?: boolean }) => Promise<void>;
  /** Runs work after the response (its duration must not show). */
  background: BackgroundTasks;
  issuer: string;
  verifyTtlSeconds: number;
  resetTtlSeconds: number;
  /** Ends every session (but `keepSessionId`) and revokes every grant. */
  signOutEverywhere: (accountId: string, options?: { keepSessionId?: string }) => Promise<unknown>;
  audit: (type: string, subject: string, details?: Record<string, unknown>) => void;
}

export function createAccountFlows(deps: AccountFlowsDeps) {
  const link = (path: string, token: string) => `${deps.issuer}${path}?token=${encodeURIComponent(token)}`;

  async function sendVerification(account: { id: string; email: string }) {
    const token = await deps.tokens.issue(account.id, 'verify_email', deps.verifyTtlSeconds);
    await deps.notify(account.email, { kind: 'verify-email', link: link('/verify-email', token), hours: Math.round(deps.verifyTtlSeconds / 3600) });
  }

  async function requestPasswordReset(email: string): Promise<void> {
    const account = await deps.accounts.findByEmail(email);
    if (!account) return;
    const token = await deps.tokens.issue(account.id, 'reset_password', deps.resetTtlSeconds);
    deps.audit('password.reset_requested', account.id, {});
    // Its callers run after the response or are an operator's command: both may wait for the send.
    await deps.notify(account.email, { kind: 'reset-password', link: link('/password/reset', token), minutes: Math.round(deps.resetTtlSeconds / 60) }, { waitForDelivery: true });
  }

  /** After a new password: sign out everywhere (but the session that made the change), audit, mail. */
  async function passwordReplaced(account: { id: string; email: string }, how: 'reset' | 'changed', keepSessionId?: string) {
    await deps.signOutEverywhere(account.id, keepSessionId ? { keepSessionId } : {});
    deps.audit(how === 'reset' ? 'password.reset' : 'password.changed', account.id, {});
    await deps.notify(account.email, { kind: how === 'reset' ? 'password-reset-done' : 'password-changed' });
  }

  return {
    /** Creates the account (unverified) and mails a link; for a taken email, mails the owner instead. */
    async register(input: { email: string; password: string; name?: string; locale?: string }): Promise<void> {
      const outcome = await deps.accounts.register(input);
      if (outcome.kind === 'created') {
        deps.audit('registration', outcome.account.id, {});
        await sendVerification(outcome.account);
        return;
      }
      deps.audit('registration.existing_email', outcome.account.id, {});
      await deps.notify(outcome.account.email, { kind: 'already-registered', resetLink: `${deps.issuer}/password/forgot` });
    },

    resendVerification: (account: { id: string; email: string }) => sendVerification(account),

    async verifyEmail(token: string): Promise<boolean> {
      const userId = await deps.tokens.consume(token, 'verify_email');
      if (!userId) return false;
      await deps.accounts.markEmailVerified(userId);
      deps.audit('email.verified', userId, {});
      return true;
    },

    /**
     * Issues a reset link and queues its mail (no account: nothing). For callers that may wait
     * and may know the answer (an operator's import); the public form uses the next one.
     */
    requestPasswordReset,

    /**
     * The forgotten-password form: returns at once, for any email — the lookup, the link and the
     * mail happen after the response, so neither its time nor a mail failure says whether the
     * account exists.
     */
    requestPasswordResetAfterResponse(email: string): void {
      deps.background.run('password-reset-request', () => requestPasswordReset(email));
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
      await passwordReplaced(await deps.accounts.setPassword(userId, newPassword), 'reset');
      return 'done';
    },

    /**
     * Needs the current password (throws InvalidCredentials, or ValidationFailed for a weak new
     * one); the session that made the change stays signed in.
     */
    async changePassword(input: { accountId: string; currentPassword: string; newPassword: string; keepSessionId?: string }): Promise<void> {
      const account = await deps.accounts.changePassword(input.accountId, input.currentPassword, input.newPassword);
      await passwordReplaced(account, 'changed', input.keepSessionId);
    },
  };
}

export type AccountFlows = ReturnType<typeof createAccountFlows>;
