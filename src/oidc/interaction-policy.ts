/**
 * Prompts as data: oidc-provider's default login and consent prompts, plus Gatehouse's checks.
 *
 * `session_idle`: a session unused at the server for longer than the idle timeout must sign in
 * again, even if the browser kept its cookie. Every authorization request that passes the check
 * counts as activity and extends the session (absolute lifetime: the Session TTL).
 */
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { Clock } from '../clock.ts';
import type { KeyValueStore } from '../storage/key-value.ts';

const activityKey = (sessionUid: string) => `session-activity:${sessionUid}`;

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
        await deps.kv.set(activityKey(session.uid), String(now), deps.sessionTtlSeconds);
        return Check.NO_NEED_TO_PROMPT;
      }
      const stored = Number((await deps.kv.get(activityKey(session.uid))) ?? 0);
      const lastActivity = Math.max(stored, (session.loginTs ?? 0) * 1000);
      if (now - lastActivity > deps.idleTimeoutSeconds * 1000) return Check.REQUEST_PROMPT;
      await deps.kv.set(activityKey(session.uid), String(now), deps.sessionTtlSeconds);
      return Check.NO_NEED_TO_PROMPT;
    }),
  );
  return policy;
}
