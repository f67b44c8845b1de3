/**
 * Accounts: users, their passwords and the sign-in decision. Knows nothing of HTTP or OIDC.
 *
 * @example
 * const accounts = createAccountService({ users: queries.users, hasher });
 * const user = await accounts.authenticate('ada@example.com', password); // throws InvalidCredentials
 */
import { randomUUID } from 'node:crypto';
import { Conflict, InvalidCredentials, ValidationFailed } from '../errors.ts';
import type { UserQueries, UserRow } from '../storage/queries/users.ts';
import { normalizeEmail } from './email.ts';
import type { PasswordHasher } from './password-hasher.ts';
import type { PasswordPolicy } from './password-policy.ts';

export { normalizeEmail } from './email.ts';
export { createPasswordHasher, type PasswordHasher, type PasswordHashScheme, type PasswordOperation } from './password-hasher.ts';
export { createPasswordPolicy, type PasswordPolicy } from './password-policy.ts';

export interface Account {
  id: string;
  email: string;
  emailVerified: boolean;
  name: string | null;
  /** Disabled by an operator (or imported inactive): no sign-in by any method, no token refresh. */
  disabled: boolean;
}

/** The stored hash of an account without a password: matches no password (an unusable scheme). */
const NO_PASSWORD = '!no-password';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;


/** The address rule every account email meets (after normalizeEmail). */
export function isValidEmail(email: string): boolean {
  return EMAIL.test(email) && email.length <= 254;
}

function toAccount(row: UserRow): Account {
  return { id: row.id, email: row.email, emailVerified: row.email_verified, name: row.name, disabled: row.disabled_at !== null };
}

export function createAccountService(deps: {
  users: UserQueries;
  hasher: PasswordHasher;
  policy: PasswordPolicy;
  /** An imported (Django) hash was replaced by argon2id at sign-in: for the audit trail. */
  onPasswordUpgraded?: (event: { accountId: string; from: string }) => void;
}) {
  const { users, hasher, policy } = deps;
  const policyProblems = async (password: string, context: { email?: string; name?: string | null }) =>
    (await policy.check(password, { email: context.email, name: context.name ?? undefined })).problems.map((problem) => problem.message);
  return {
    async create(input: {
      email: string;
      password: string;
      name?: string | undefined;
      emailVerified?: boolean;
      /** The language of the account's mails (the page language at registration). */
      locale?: string | undefined;
    }): Promise<Account> {
      const email = normalizeEmail(input.email);
      const problems = [...(isValidEmail(email) ? [] : ['Enter a valid email address.'])];
      problems.push(...(await policyProblems(input.password, { email, name: input.name })));
      if (problems.length > 0) throw new ValidationFailed(problems);
      const id = randomUUID();
      try {
        await users.insert({
          id,
          email,
          emailVerified: input.emailVerified ?? false,
          passwordHash: await hasher.hash(input.password),
          name: input.name ?? null,
          locale: input.locale ?? null,
        });
      } catch (error) {
        if (error instanceof Conflict) throw new Conflict('an account with this email already exists');
        throw error;
      }
      return { id, email, emailVerified: input.emailVerified ?? false, name: input.name ?? null, disabled: false };
    },

    /**
     * An account without a password (created just in time at a federated sign-in): it signs in
     * through its upstream link until its owner sets a password (reset).
     */
    async createWithoutPassword(input: { email: string; name?: string | undefined; emailVerified: boolean }): Promise<Account> {
      const email = normalizeEmail(input.email);
      if (!isValidEmail(email)) throw new ValidationFailed(['Enter a valid email address.']);
      const id = randomUUID();
      await users.insert({ id, email, emailVerified: input.emailVerified, passwordHash: NO_PASSWORD, name: input.name ?? null });
      return { id, email, emailVerified: input.emailVerified, name: input.name ?? null, disabled: false };
    },

    /** Whether the account may sign in at all, and whether it has a password Gatehouse can check. */
    async standing(id: string): Promise<{ disabled: boolean; hasPassword: boolean } | undefined> {
      const row = await users.findById(id);
      return row ? { disabled: row.disabled_at !== null, hasPassword: hasher.scheme(row.password_hash) !== 'unusable' } : undefined;
    },

    /**
     * Checks a password. Unknown emails cost a dummy verification so that timing does not reveal
     * which accounts exist; hashes made with older parameters are upgraded on success.
     */
    async authenticate(emailInput: string, password: string): Promise<Account> {
      const row = await users.findByEmail(normalizeEmail(emailInput));
      if (!row) {
        await hasher.verifyDummy(password);
        throw new InvalidCredentials('unknown_account');
      }
      // Unusable hashes cost a dummy verification inside verify(): same time, same answer as a wrong password.
      const scheme = hasher.scheme(row.password_hash);
      if (!(await hasher.verify(row.password_hash, password))) throw new InvalidCredentials(scheme === 'unusable' ? 'no_usable_password' : 'bad_password');
      // Checked after the password, so a disabled account answers exactly like a wrong password.
      if (row.disabled_at) throw new InvalidCredentials('account_disabled');
      if (hasher.needsRehash(row.password_hash)) {
        // Older argon2 parameters, or an imported Django hash: replaced by the current argon2id
        // hash, and the old one is gone. Compare-and-set, so a reset that landed meanwhile wins.
        const replaced = await users.replacePasswordHash(row.id, row.password_hash, await hasher.hash(password));
        if (replaced && scheme !== 'argon2id') deps.onPasswordUpgraded?.({ accountId: row.id, from: scheme });
      }
      await users.recordLogin(row.id);
      return toAccount(row);
    },

    /**
     * Registration: a new unverified account, or the existing one (the caller mails its owner).
     * Both paths validate the password and hash it, so neither answer nor timing tells them apart.
     */
    async register(input: { email: string; password: string; name?: string | undefined; locale?: string | undefined }): Promise<{ kind: 'created' | 'existing'; account: Account }> {
      const email = normalizeEmail(input.email);
      const existing = await users.findByEmail(email);
      if (!existing) return { kind: 'created', account: await this.create({ ...input, emailVerified: false }) };
      const problems = [...(EMAIL.test(email) ? [] : ['Enter a valid email address.']), ...(await policyProblems(input.password, { email, name: input.name }))];
      if (problems.length > 0) throw new ValidationFailed(problems);
      await hasher.hash(input.password);
      return { kind: 'existing', account: toAccount(existing) };
    },

    async findByEmail(email: string): Promise<Account | undefined> {
      const row = await users.findByEmail(normalizeEmail(email));
      return row ? toAccount(row) : undefined;
    },

    markEmailVerified: (id: string) => users.markEmailVerified(id),

    /** The account's mail language, recorded at its first sign-in when it was not made by a person's own registration. */
    rememberLocale: (id: string, locale: string) => users.setLocaleIfUnset(id, locale),

    /** Throws ValidationFailed with the policy's messages when `newPassword` is not acceptable. */
    async validateNewPassword(id: string, newPassword: string): Promise<void> {
      const row = await users.findById(id);
      const problems = await policyProblems(newPassword, { email: row?.email, name: row?.name ?? null });
      if (problems.length > 0) throw new ValidationFailed(problems);
    },

    /** Sets a new password after the policy check (a reset link is the proof of identity). */
    async setPassword(id: string, newPassword: string): Promise<Account> {
      const row = await users.findById(id);
      if (!row) throw new InvalidCredentials('unknown_account');
      const problems = await policyProblems(newPassword, { email: row.email, name: row.name });
      if (problems.length > 0) throw new ValidationFailed(problems);
      await users.updatePasswordHash(id, await hasher.hash(newPassword));
      return toAccount(row);
    },

    /** Needs the current password: a fresh proof of identity for a sensitive change. */
    async changePassword(id: string, currentPassword: string, newPassword: string): Promise<Account> {
      const row = await users.findById(id);
      if (!row || !(await hasher.verify(row.password_hash, currentPassword))) throw new InvalidCredentials('bad_password');
      const problems = await policyProblems(newPassword, { email: row.email, name: row.name });
      if (problems.length > 0) throw new ValidationFailed(problems);
      await users.updatePasswordHash(id, await hasher.hash(newPassword));
      return toAccount(row);
    },

    async findById(id: string): Promise<Account | undefined> {
      const row = await users.findById(id);
      return row ? toAccount(row) : undefined;
    },

    /** Deletes the account record; the caller ends its sessions and grants first. */
    delete: (id: string): Promise<boolean> => users.delete(id),

    async list(): Promise<Account[]> {
      return (await users.list()).map((row) => toAccount({ ...row, password_hash: '', last_login_at: null }));
    },

    /** Disables (or re-enables) an account; false when there is no such account. */
    setDisabled: (id: string, disabled: boolean): Promise<boolean> => users.setDisabled(id, disabled),

    /** Changes the display name (the `name` claim); false when there is no such account. */
    rename: (id: string, name: string | null): Promise<boolean> => users.rename(id, name),
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
