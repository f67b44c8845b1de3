/**
 * What an operator does to an account — create it with its roles, delete it, end every session,
 * reset its second factor, remove one of its passkeys — each in one place with its audit event. The admin API's handlers call
 * these; the CLI calls the admin API; account pages may call them for an owner's own action.
 *
 * @example
 * const admin = createAccountAdministration({ accounts, roles, sessions, secondFactor, audit });
 * await admin.logoutEverywhere(userId, { actor: 'cli' }); // { sessionsEnded, grantsRevoked }
 */
import { NotFound, ValidationFailed } from '../errors.ts';
import type { Notice } from '../notifications/index.ts';
import type { PasskeyService, PasskeyView } from '../passkeys/index.ts';
import type { Account, AccountService } from './index.ts';

/** Who asked (the admin principal's subject, or `cli`), for the audit trail. */
export interface OperatorContext {
  actor: string;
}

export interface NewAccount {
  email: string;
  password: string;
  name?: string | undefined;
  emailVerified?: boolean | undefined;
  /** Roles granted at once; each must exist, checked before the account is created. */
  roles?: readonly string[] | undefined;
}

export function createAccountAdministration(deps: {
  accounts: Pick<AccountService, 'create' | 'findById' | 'delete' | 'setDisabled' | 'rename'>;
  roles: {
    exists(name: string): Promise<boolean>;
    grantToUser(role: string, userId: string, context: OperatorContext): Promise<void>;
  };
  sessions: {
    logoutEverywhere(accountId: string, options: { actor?: string }): Promise<{ sessionsEnded: number; grantsRevoked: number }>;
  };
  secondFactor: { remove(accountId: string): Promise<boolean>; enrolled(accountId: string): Promise<boolean> };
  passkeys: Pick<PasskeyService, 'list' | 'remove'>;
  notify: (to: string, notice: Notice) => Promise<void>;
  audit: (event: { type: string; subject: string; actor: string; details?: Record<string, unknown> }) => void;
}) {
  async function mustExist(accountId: string): Promise<Account> {
    const account = await deps.accounts.findById(accountId);
    if (!account) throw new NotFound(`user ${accountId}`);
    return account;
  }

  return {
    /** A new account (the password policy applies) holding `roles`; a missing role creates nothing. */
    async create(input: NewAccount, context: OperatorContext): Promise<Account> {
      const roles = [...new Set(input.roles ?? [])];
      const missing = [];
      for (const role of roles) if (!(await deps.roles.exists(role))) missing.push(role);
      if (missing.length > 0) {
        throw new ValidationFailed(missing.map((role) => `roles: no role ${role} (create it first: gatehouse roles create ${role})`));
      }
      const account = await deps.accounts.create(input);
      for (const role of roles) await deps.roles.grantToUser(role, account.id, context);
      deps.audit({ type: 'user.created', subject: account.id, actor: context.actor, details: { roles } });
      return account;
    },

    /** Every session ends and every grant is revoked before the account goes. */
    async delete(accountId: string, context: OperatorContext): Promise<void> {
      await mustExist(accountId);
      await deps.sessions.logoutEverywhere(accountId, { actor: context.actor });
      if (!(await deps.accounts.delete(accountId))) throw new NotFound(`user ${accountId}`);
      deps.audit({ type: 'user.deleted', subject: accountId, actor: context.actor });
    },

    /** A compromised account: every session on every instance ends, every grant (and refresh token) is revoked. */
    async logoutEverywhere(accountId: string, context: OperatorContext): Promise<{ sessionsEnded: number; grantsRevoked: number }> {
      await mustExist(accountId);
      return deps.sessions.logoutEverywhere(accountId, { actor: context.actor });
    },

    /**
     * Disables an account: it can no longer sign in by any method, every session ends and every
     * grant (with its refresh tokens) is revoked. Enabling lets it sign in again; nothing returns.
     */
    async setDisabled(accountId: string, disabled: boolean, context: OperatorContext): Promise<Account> {
      const account = await mustExist(accountId);
      if (account.disabled !== disabled) {
        await deps.accounts.setDisabled(accountId, disabled);
        deps.audit({ type: disabled ? 'user.disabled' : 'user.enabled', subject: accountId, actor: context.actor });
      }
      // Also when it already was: an operator disabling an account expects no session to survive.
      if (disabled) await deps.sessions.logoutEverywhere(accountId, { actor: context.actor });
      return { ...account, disabled };
    },

    async rename(accountId: string, name: string | null, context: OperatorContext): Promise<Account> {
      const account = await mustExist(accountId);
      await deps.accounts.rename(accountId, name);
      deps.audit({ type: 'user.updated', subject: accountId, actor: context.actor, details: { fields: ['name'] } });
      return { ...account, name };
    },

    /** Removes the second factor and recovery codes; the owner enrols again when policy asks. */
    async resetSecondFactor(accountId: string, context: OperatorContext): Promise<{ removed: boolean }> {
      await mustExist(accountId);
      const removed = await deps.secondFactor.remove(accountId);
      deps.audit({ type: 'mfa.reset_by_admin', subject: accountId, actor: context.actor, details: { removed } });
      return { removed };
    },

    /** The account's passkeys: names, dates and backup state — never a credential id or public key. */
    async listPasskeys(accountId: string): Promise<PasskeyView[]> {
      await mustExist(accountId);
      return deps.passkeys.list(accountId);
    },

    /**
     * Removes one passkey (a lost or stolen authenticator). When it was the owner's last factor
     * (no other passkey, no TOTP) they are mailed, as when an operator resets their MFA; no proof
     * of the factor is asked of an operator, the audit trail names them instead.
     */
    async removePasskey(accountId: string, passkeyId: string, context: OperatorContext): Promise<{ last: boolean }> {
      const account = await mustExist(accountId);
      const { removed, remainingPasskeys } = await deps.passkeys.remove(accountId, passkeyId);
      // Another user's passkey id answers as an unknown one: the operator learns nothing about it.
      if (!removed) throw new NotFound(`passkey ${passkeyId} of user ${accountId}`);
      const last = remainingPasskeys === 0 && !(await deps.secondFactor.enrolled(accountId));
      deps.audit({ type: 'passkey.removed_by_admin', subject: accountId, actor: context.actor, details: { passkey: passkeyId, last } });
      if (last) await deps.notify(account.email, { kind: 'mfa-removed' });
      return { last };
    },
  };
}

export type AccountAdministration = ReturnType<typeof createAccountAdministration>;
