/**
 * The idle rule, once, for every page that reads the session: oidc-provider's `session_idle`
 * check (authorization requests) and the account pages.
 *
 * A session unused at the server for longer than the idle timeout counts as signed out, even if
 * the browser kept its cookie. Every use that passes the rule counts as activity and extends the
 * session (absolute lifetime: the Session TTL). The activity record also feeds the account page
 * ("last active, from which browser").
 */
import type { Clock } from '../clock.ts';
import type { SessionActivity, SessionKeyspace } from '../storage/keyspaces/sessions.ts';

export type { SessionActivity } from '../storage/keyspaces/sessions.ts';

/** Pure: idle when neither the last recorded use nor the sign-in itself is within the timeout. */
export function sessionIsIdle(facts: { nowMs: number; lastActivityMs: number | undefined; loginTs: number | undefined; idleTimeoutSeconds: number }): boolean {
  const last = Math.max(facts.lastActivityMs ?? 0, (facts.loginTs ?? 0) * 1000);
  return facts.nowMs - last > facts.idleTimeoutSeconds * 1000;
}

export interface SessionRef {
  uid: string;
  /** Seconds since the epoch, as oidc-provider's Session keeps it. */
  loginTs: number | undefined;
}

export function createSessionActivity(deps: {
  sessions: Pick<SessionKeyspace, 'activity' | 'recordActivity'>;
  clock: Clock;
  idleTimeoutSeconds: number;
  sessionTtlSeconds: number;
}) {
  async function touch(uid: string, from: { ip: string; userAgent: string }): Promise<void> {
    const activity: SessionActivity = { at: deps.clock.now().getTime(), ip: from.ip, userAgent: from.userAgent.slice(0, 256) };
    await deps.sessions.recordActivity(uid, activity, deps.sessionTtlSeconds);
  }
  return {
    touch,
    /** Applies the rule: 'idle' (treat as signed out), or 'active' after recording this use. */
    async use(session: SessionRef, from: { ip: string; userAgent: string }): Promise<'active' | 'idle'> {
      const lastActivityMs = (await deps.sessions.activity(session.uid))?.at;
      const idle = sessionIsIdle({ nowMs: deps.clock.now().getTime(), lastActivityMs, loginTs: session.loginTs, idleTimeoutSeconds: deps.idleTimeoutSeconds });
      if (idle) return 'idle';
      await touch(session.uid, from);
      return 'active';
    },
  };
}

export type SessionActivityService = ReturnType<typeof createSessionActivity>;
