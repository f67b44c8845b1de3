/**
 * Sessions and grants of an account, across every instance: the everywhere-logout an admin uses
 * for a compromised device, and the user's own "sign out everywhere".
 *
 * @example
 * const { sessionsEnded, grantsRevoked } = await sessions.logoutEverywhere(accountId);
 */
export function createSessionService(deps: {
  grantIdsForAccount: (accountId: string) => Promise<string[]>;
  revokeGrant: (grantId: string) => Promise<void>;
  endSessionsOf: (accountId: string) => Promise<number>;
  onLogoutEverywhere?: (details: { accountId: string; sessionsEnded: number; grantsRevoked: number }) => void;
}) {
  return {
    async logoutEverywhere(accountId: string): Promise<{ sessionsEnded: number; grantsRevoked: number }> {
      const sessionsEnded = await deps.endSessionsOf(accountId);
      const grantIds = await deps.grantIdsForAccount(accountId);
      for (const grantId of grantIds) await deps.revokeGrant(grantId);
      const result = { sessionsEnded, grantsRevoked: grantIds.length };
      deps.onLogoutEverywhere?.({ accountId, ...result });
      return result;
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
