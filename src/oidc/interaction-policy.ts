/**
 * Prompts as data: oidc-provider's default login and consent prompts, plus Gatehouse's checks.
 *
 * `session_idle`: the idle rule of sessions/activity.ts (shared with the account pages): a
 * session unused for longer than the idle timeout must sign in again, even if the browser kept
 * its cookie; every authorization request that passes counts as activity.
 */
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { Clock } from '../clock.ts';
import { acrSatisfies, MFA_ACR, PHISHING_RESISTANT_ACR } from '../mfa/policy.ts';
import { createSessionActivity } from '../sessions/activity.ts';
import type { SessionKeyspace } from '../storage/keyspaces/sessions.ts';

export function createInteractionPolicy(deps: { sessions: Pick<SessionKeyspace, 'activity' | 'recordActivity'>; clock: Clock; idleTimeoutSeconds: number; sessionTtlSeconds: number }) {
  const activity = createSessionActivity(deps);
  const { Check, base } = interactionPolicy;
  const policy = base();
  const login = policy.get('login');
  login?.checks.add(
    new Check('session_idle', 'the session was idle for too long', 'login_required', async (ctx: KoaContextWithOIDC) => {
      const session = ctx.oidc.session;
      if (!session?.accountId) return Check.NO_NEED_TO_PROMPT;
      const from = { ip: ctx.ip, userAgent: ctx.get('user-agent') };
      if (ctx.oidc.result?.login) {
        // The user has just signed in: that is activity (and must never send them back to login).
        await activity.touch(session.uid, from);
        return Check.NO_NEED_TO_PROMPT;
      }
      return (await activity.use({ uid: session.uid, loginTs: session.loginTs }, from)) === 'idle' ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
    }),
  );
  // A session whose account no longer resolves (disabled, or deleted): sign in again, never a silent
  // code. findAccount answers nothing for such an account; oidc-provider itself only looks at the id.
  login?.checks.add(
    new Check('account_unavailable', 'the account can no longer sign in', 'login_required', (ctx: KoaContextWithOIDC) =>
      ctx.oidc.session?.accountId && !ctx.oidc.account ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT,
    ),
  );
  // Step-up: a client asking for MFA gets a second factor even within an existing password-only session.
  login?.checks.add(
    new Check('acr_step_up', 'the client requires a second factor', 'login_required', async (ctx: KoaContextWithOIDC) => {
      const requested = typeof ctx.oidc.params?.acr_values === 'string' ? ctx.oidc.params.acr_values.split(' ') : [];
      // The highest level asked for (loa:3 ⊇ loa:2): a session below it signs in again.
      const wanted = requested.includes(PHISHING_RESISTANT_ACR) ? PHISHING_RESISTANT_ACR : requested.includes(MFA_ACR) ? MFA_ACR : undefined;
      if (!wanted || !ctx.oidc.session?.accountId) return Check.NO_NEED_TO_PROMPT;
      return acrSatisfies(ctx.oidc.session.acr, wanted) ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );
  return policy;
}
