/**
 * Prompts as data: oidc-provider's default login and consent prompts, plus Gatehouse's checks.
 *
 * `session_idle`: a session unused at the server for longer than the idle timeout must sign in
 * again, even if the browser kept its cookie. Every authorization request that passes the check
 * counts as activity and extends the session (absolute lifetime: the Session TTL).
 */
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { Clock } from '../clock.ts';
import { MFA_ACR } from '../mfa/policy.ts';
import type { KeyValueStore } from '../storage/key-value.ts';

export const activityKey = (sessionUid: string) => `session-activity:${sessionUid}`;

/** What the account page shows about a session: where it was last used, and when. */
export interface SessionActivity {
  at: number;
  ip: string;
  userAgent: string;
}

async function recordActivity(deps: { kv: KeyValueStore; sessionTtlSeconds: number }, ctx: KoaContextWithOIDC, uid: string, at: number) {
  const activity: SessionActivity = { at, ip: ctx.ip, userAgent: ctx.get('user-agent').slice(0, 256) };
  await deps.kv.set(activityKey(uid), JSON.stringify(activity), deps.sessionTtlSeconds);
}

export function createInteractionPolicy(deps: { kv: KeyValueStore; clock: Clock; idleTimeoutSeconds: number; sessionTtlSeconds: number }) {
  const { Check, base } = interactionPolicy;
  const policy = base();
  const login = policy.get('login');
  login?.checks.add(
    new Check('session_idle', 'the session was idle for too long', 'login_required', async (ctx: KoaContextWithOIDC) => {
      const session = ctx.oidc.session;
      if (!session?.accountId) return Check.NO_NEED_TO_PROMPT;
      const now = deps.clock.now().getTime();
      if (ctx.oidc.result?.login) {
        // The user has just signed in: that is activity (and must never send them back to login).
        await recordActivity(deps, ctx, session.uid, now);
        return Check.NO_NEED_TO_PROMPT;
      }
      const raw = await deps.kv.get(activityKey(session.uid));
      const stored = raw ? (JSON.parse(raw) as SessionActivity).at : 0;
      const lastActivity = Math.max(stored, (session.loginTs ?? 0) * 1000);
      if (now - lastActivity > deps.idleTimeoutSeconds * 1000) return Check.REQUEST_PROMPT;
      await recordActivity(deps, ctx, session.uid, now);
      return Check.NO_NEED_TO_PROMPT;
    }),
  );
  // Step-up: a client asking for MFA gets a second factor even within an existing password-only session.
  login?.checks.add(
    new Check('acr_step_up', 'the client requires a second factor', 'login_required', async (ctx: KoaContextWithOIDC) => {
      const requested = typeof ctx.oidc.params?.acr_values === 'string' ? ctx.oidc.params.acr_values.split(' ') : [];
      if (!requested.includes(MFA_ACR) || !ctx.oidc.session?.accountId) return Check.NO_NEED_TO_PROMPT;
      return ctx.oidc.session.acr === MFA_ACR ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );
  return policy;
}
