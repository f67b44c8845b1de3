import type { Account, FindAccount } from 'oidc-provider';
import type { AccountService } from '../accounts/index.ts';

/** Scope → claims released in ID tokens and userinfo (OIDC Core §5.4). */
export const CLAIMS_BY_SCOPE = {
  // How and when the user signed in (RFC 8176 amr, acr) and the session id for logout: no PII.
  openid: ['sub', 'acr', 'amr', 'auth_time', 'sid'],
  email: ['email', 'email_verified'],
  profile: ['name'],
} as const;

export function createFindAccount(accounts: AccountService): FindAccount {
  return async (_ctx, sub): Promise<Account | undefined> => {
    const account = await accounts.findById(sub);
    // A disabled account is no account: its sessions resolve to nobody and its refresh tokens are
    // refused (oidc-provider answers invalid_grant when the grant's account is not found).
    if (!account || account.disabled) return undefined;
    return {
      accountId: account.id,
      async claims() {
        return {
          sub: account.id,
          email: account.email,
          email_verified: account.emailVerified,
          ...(account.name ? { name: account.name } : {}),
        };
      },
    };
  };
}
