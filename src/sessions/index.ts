/**
 * Sessions and connected apps of an account, across every instance: what the account pages list
 * and end, the everywhere-logout an admin uses for a compromised device, and what a password
 * change revokes.
 *
 * @example
 * const { sessionsEnded, grantsRevoked } = await sessions.logoutEverywhere(accountId);
 */
import type { SessionKeyspace, StoredSession } from '../storage/keyspaces/sessions.ts';

export interface AccountSession {
  uid: string;
  signedInAt: Date | undefined;
  lastActivity: { at: Date; ip: string; userAgent: string } | undefined;
}

/**
 * A client the account has granted access to. Grants are per device (oidc/first-party.ts), so one
 * app may hold several; it is listed once, since its first grant, and revoked as a whole.
 * `grantId` (its newest grant) is the handle the pages and the admin API revoke it by.
 */
export interface ConnectedApp {
  grantId: string;
  clientId: string;
  name: string;
  since: Date;
}

export function createSessionService(deps: {
  grantsForAccount: (accountId: string) => Promise<Array<{ grantId: string; clientId: string; createdAt: Date }>>;
  clientName: (clientId: string) => Promise<string | undefined>;
  revokeGrant: (grantId: string) => Promise<void>;
  /** Browser sessions live only in the key-value store (storage/keyspaces/sessions.ts). */
  store: SessionKeyspace;
  /** How long a kept session stays in the account's index (the session lifetime). */
  sessionTtlSeconds: number;
  onEvent?: (event: { type: string; accountId: string; details: Record<string, unknown>; actor?: string | undefined }) => void;
}) {
  const event = (type: string, accountId: string, details: Record<string, unknown>, actor?: string) =>
    deps.onEvent?.({ type, accountId, details, ...(actor ? { actor } : {}) });

  const { store } = deps;

  /** The live sessions of an account; index entries of sessions that are gone are dropped on the way. */
  async function liveSessions(accountId: string): Promise<StoredSession[]> {
    const ids = await store.idsOf(accountId);
    const sessions = await store.read(ids);
    const live: StoredSession[] = [];
    for (const [index, session] of sessions.entries()) {
      if (!session) await store.dropFromAccount(accountId, ids[index]!);
      else if (session.accountId === accountId) live.push(session);
    }
    return live;
  }

  /** Ends every session of the account but `keepId`; the number that were still alive. */
  async function endSessionsOf(accountId: string, keepId?: string): Promise<number> {
    const ids = (await store.takeIdsOf(accountId)).filter((id) => id !== keepId);
    if (keepId) await store.addToAccount(accountId, keepId, deps.sessionTtlSeconds);
    // Session ids rotate at sign-in, so the index also holds ids that no longer exist.
    const sessions = await store.read(ids);
    await store.delete(ids.map((id, index) => ({ id, uid: sessions[index]?.uid })));
    return sessions.filter((session) => session !== undefined).length;
  }

  return {
    async listSessions(accountId: string): Promise<AccountSession[]> {
      const sessions = await liveSessions(accountId);
      const activities = await Promise.all(sessions.map((session) => store.activity(session.uid)));
      return sessions.map((session, index) => {
        const activity = activities[index];
        return {
          uid: session.uid,
          signedInAt: session.loginTs ? new Date(session.loginTs * 1000) : undefined,
          lastActivity: activity ? { ...activity, at: new Date(activity.at) } : undefined,
        };
      });
    },

    /** Ends one session of an account, identified by its public uid (never its secret id). */
    async endSession(accountId: string, uid: string): Promise<boolean> {
      const session = (await liveSessions(accountId)).find((candidate) => candidate.uid === uid);
      if (!session) return false;
      await store.delete([session]);
      await store.dropFromAccount(accountId, session.id);
      event('session.ended', accountId, { uid });
      return true;
    },

    async listApps(accountId: string): Promise<ConnectedApp[]> {
      const byClient = new Map<string, Array<{ grantId: string; createdAt: Date }>>();
      for (const grant of await deps.grantsForAccount(accountId)) {
        byClient.set(grant.clientId, [...(byClient.get(grant.clientId) ?? []), grant]);
      }
      return Promise.all(
        [...byClient].map(async ([clientId, grants]) => ({
          grantId: grants.at(-1)!.grantId,
          clientId,
          name: (await deps.clientName(clientId)) ?? clientId,
          since: grants[0]!.createdAt,
        })),
      );
    },

    /**
     * "Revoke access": every grant the owner gave the app of `grantId` (on every device) and every
     * token issued under them, at once. Only the owner's.
     */
    async revokeApp(accountId: string, grantId: string): Promise<boolean> {
      const grants = await deps.grantsForAccount(accountId);
      const clientId = grants.find((grant) => grant.grantId === grantId)?.clientId;
      if (!clientId) return false;
      const revoked = grants.filter((grant) => grant.clientId === clientId).map((grant) => grant.grantId);
      for (const id of revoked) await deps.revokeGrant(id);
      event('consent.revoked', accountId, { clientId, grantIds: revoked });
      return true;
    },

    /**
     * Every session (but `keepSessionId`) ends and every grant is revoked, on every instance.
     * `actor`: an operator acting on someone else's account (the audit trail names them).
     */
    async logoutEverywhere(
      accountId: string,
      options: { keepSessionId?: string; actor?: string } = {},
    ): Promise<{ sessionsEnded: number; grantsRevoked: number }> {
      const sessionsEnded = await endSessionsOf(accountId, options.keepSessionId);
      const grants = await deps.grantsForAccount(accountId);
      for (const grant of grants) await deps.revokeGrant(grant.grantId);
      const result = { sessionsEnded, grantsRevoked: grants.length };
      event('user.logout_everywhere', accountId, result, options.actor);
      return result;
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
