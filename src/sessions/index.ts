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
  listSessions: (accountId: string) => Promise<Array<{ id: string; uid: string; loginTs: number | undefined; activity?: { at: number; ip: string; userAgent: string } | undefined }>>;
  endSession: (accountId: string, uid: string) => Promise<boolean>;
  endSessionsOf: (accountId: string, keepSessionId?: string) => Promise<number>;
  onEvent?: (event: { type: string; accountId: string; details: Record<string, unknown> }) => void;
}) {
  const event = (type: string, accountId: string, details: Record<string, unknown>) => deps.onEvent?.({ type, accountId, details });

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

    /** Every session (but `keepSessionId`) ends and every grant is revoked, on every instance. */
    async logoutEverywhere(accountId: string, options: { keepSessionId?: string } = {}): Promise<{ sessionsEnded: number; grantsRevoked: number }> {
      const sessionsEnded = await deps.endSessionsOf(accountId, options.keepSessionId);
      const grants = await deps.grantsForAccount(accountId);
      for (const grant of grants) await deps.revokeGrant(grant.grantId);
      const result = { sessionsEnded, grantsRevoked: grants.length };
      event('user.logout_everywhere', accountId, result);
      return result;
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
