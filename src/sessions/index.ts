/**
 * Sessions and connected apps of an account, across every instance: what the account pages list
 * and end, the everywhere-logout an admin uses for a compromised device, and what a password
 * change revokes.
 *
 * @example
 * const { sessionsEnded, grantsRevoked } = await sessions.logoutEverywhere(accountId);
 */
export interface AccountSession {
  uid: string;
  signedInAt: Date | undefined;
  lastActivity: { at: Date; ip: string; userAgent: string } | undefined;
}

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
  listSessions: (accountId: string) => Promise<Array<{ id: string; uid: string; loginTs: number | undefined; activity?: { at: number; ip: string; userAgent: string } | undefined }>>;
  endSession: (accountId: string, uid: string) => Promise<boolean>;
  endSessionsOf: (accountId: string, keepSessionId?: string) => Promise<number>;
  onEvent?: (event: { type: string; accountId: string; details: Record<string, unknown>; actor?: string | undefined }) => void;
}) {
  const event = (type: string, accountId: string, details: Record<string, unknown>, actor?: string) =>
    deps.onEvent?.({ type, accountId, details, ...(actor ? { actor } : {}) });

  return {
    async listSessions(accountId: string): Promise<AccountSession[]> {
      return (await deps.listSessions(accountId)).map((s) => ({
        uid: s.uid,
        signedInAt: s.loginTs ? new Date(s.loginTs * 1000) : undefined,
        lastActivity: s.activity ? { ...s.activity, at: new Date(s.activity.at) } : undefined,
      }));
    },

    async endSession(accountId: string, uid: string): Promise<boolean> {
      const ended = await deps.endSession(accountId, uid);
      if (ended) event('session.ended', accountId, { uid });
      return ended;
    },

    async listApps(accountId: string): Promise<ConnectedApp[]> {
      const grants = await deps.grantsForAccount(accountId);
      return Promise.all(
        grants.map(async (grant) => ({
          grantId: grant.grantId,
          clientId: grant.clientId,
          name: (await deps.clientName(grant.clientId)) ?? grant.clientId,
          since: grant.createdAt,
        })),
      );
    },

    /** "Revoke access": the grant and every token issued under it, at once. Only the owner's. */
    async revokeApp(accountId: string, grantId: string): Promise<boolean> {
      const owned = (await deps.grantsForAccount(accountId)).find((grant) => grant.grantId === grantId);
      if (!owned) return false;
      await deps.revokeGrant(grantId);
      event('consent.revoked', accountId, { clientId: owned.clientId, grantId });
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
      const sessionsEnded = await deps.endSessionsOf(accountId, options.keepSessionId);
      const grants = await deps.grantsForAccount(accountId);
      for (const grant of grants) await deps.revokeGrant(grant.grantId);
      const result = { sessionsEnded, grantsRevoked: grants.length };
      event('user.logout_everywhere', accountId, result, options.actor);
      return result;
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
