import type { Account, FindAccount } from 'oidc-provider';
import type { AccountService } from '../accounts/index.ts';

/** Scope → claims released in ID tokens and userinfo (OIDC Core §5.4). */
export const CLAIMS_BY_SCOPE = {
  // How and when the user signed in (RFC 8176 amr, acr) and the session id for logout: no PII.
  // `idp`: the upstream identity provider of a federated sign-in (amr `fed`), as Keycloak and Auth0 name it.
  openid: ['sub', 'acr', 'amr', 'auth_time', 'sid', 'idp'],
  email: ['email', 'email_verified'],
  profile: ['name'],
} as const;

/** `idpOf`: the provider of the account's most recent federated sign-in (federation/). */
export function createFindAccount(accounts: AccountService, idpOf?: (accountId: string) => Promise<string | undefined>): FindAccount {
  return async (ctx, sub, token): Promise<Account | undefined> => {
    const account = await accounts.findById(sub);
    // A disabled account is no account: its sessions resolve to nobody and its refresh tokens are
    // refused (oidc-provider answers invalid_grant when the grant's account is not found).
    if (!account || account.disabled) return undefined;
    // The code or refresh token carries the sign-in's amr; at the authorization endpoint, the session.
    const amr = (token as { amr?: unknown } | undefined)?.amr ?? ctx?.oidc?.session?.amr;
    const federated = Array.isArray(amr) && amr.includes('fed');
    return {
      accountId: account.id,
      async claims() {
        const idp = federated && idpOf ? await idpOf(account.id) : undefined;
        return {
          sub: account.id,
          ...(idp ? { idp } : {}),
          email: account.email,
          email_verified: account.emailVerified,
          ...(account.name ? { name: account.name } : {}),
        };
      },
    };
  };
}
