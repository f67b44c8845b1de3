/**
 * Browser sessions beyond oidc-provider's own Session payload: which sessions an account holds
 * (everywhere-logout and the account page need them on every instance) and when each was last
 * used (the idle rule). The one place these keys are spelled.
 *
 *   oidc:account-sessions:<accountId>   set of Session keys of the account (ids rotate at sign-in,
 *                                       so it also holds ids that no longer exist)
 *   session-activity:<uid>              { at, ip, userAgent } of the last use
 */
import type { KeyValueStore, KeyValueWrite } from '../key-value.ts';
import { oidcModelKeys } from './oidc-models.ts';

export const SESSION_PREFIXES = ['oidc:account-sessions:', 'session-activity:'] as const;

const keys = {
  accountSessions: (accountId: string) => `oidc:account-sessions:${accountId}`,
  activity: (sessionUid: string) => `session-activity:${sessionUid}`,
};

/** Where and when a session was last used. */
export interface SessionActivity {
  at: number;
  ip: string;
  userAgent: string;
}

/** What storage holds of one of oidc-provider's Session payloads. */
export interface StoredSession {
  id: string;
  uid: string;
  accountId: string | undefined;
  /** Seconds since the epoch, as oidc-provider keeps it. */
  loginTs: number | undefined;
}

const accountIndexWrite = (accountId: string, sessionId: string, ttlSeconds: number): KeyValueWrite => ({
  addToSet: keys.accountSessions(accountId),
  member: sessionId,
  ttlSeconds,
});

export function createSessionKeyspace(kv: KeyValueStore) {
  return {
    /** Indexes a saved Session under its account (with the Session's TTL). */
    addToAccount: (accountId: string, sessionId: string, ttlSeconds: number) => kv.write([accountIndexWrite(accountId, sessionId, ttlSeconds)]),
    /** The same index entry as a write, to land with the Session's own save (one round trip). */
    accountIndexWrite,
    /** The Session ids indexed under the account (some may no longer exist). */
    idsOf: (accountId: string) => kv.members(keys.accountSessions(accountId)),
    /** Takes (reads and empties) the account's index, atomically. */
    takeIdsOf: (accountId: string) => kv.takeSet(keys.accountSessions(accountId)),
    dropFromAccount: (accountId: string, sessionId: string) => kv.removeFromSet(keys.accountSessions(accountId), sessionId),

    /** The Sessions behind `ids`, in order; undefined where one no longer exists. */
    async read(ids: readonly string[]): Promise<Array<StoredSession | undefined>> {
      const raws = await kv.getMany(ids.map((id) => oidcModelKeys.payload('Session', id)));
      return raws.map((raw, index) => {
        if (!raw) return undefined;
        const payload = JSON.parse(raw) as { uid: string; loginTs?: number; accountId?: string };
        return { id: ids[index]!, uid: payload.uid, accountId: payload.accountId, loginTs: payload.loginTs };
      });
    },

    /** Deletes Sessions with their uid index and activity record. */
    delete: (sessions: ReadonlyArray<{ id: string; uid?: string | undefined }>) =>
      kv.delete(
        sessions.flatMap((session) => [
          oidcModelKeys.payload('Session', session.id),
          ...(session.uid ? [oidcModelKeys.uid('Session', session.uid), keys.activity(session.uid)] : []),
        ]),
      ),

    async activity(uid: string): Promise<SessionActivity | undefined> {
      const raw = await kv.get(keys.activity(uid));
      return raw ? (JSON.parse(raw) as SessionActivity) : undefined;
    },
    recordActivity: (uid: string, activity: SessionActivity, ttlSeconds: number) => kv.set(keys.activity(uid), JSON.stringify(activity), ttlSeconds),
  };
}

export type SessionKeyspace = ReturnType<typeof createSessionKeyspace>;
