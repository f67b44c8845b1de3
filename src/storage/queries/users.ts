import type { Knex } from 'knex';
import { translated } from '../pg-errors.ts';

export interface UserRow {
  id: string;
  email: string;
  email_verified: boolean;
  password_hash: string;
  name: string | null;
  /** The organisation (the `org_id` access-token claim), set through the rbac service. */
  org_id: string | null;
  /** Set: the account may not sign in (an imported Django user with is_active = false). */
  disabled_at: Date | null;
  last_login_at: Date | null;
  /** The language of the account's mails (a catalog locale); null: the server's default. */
  locale: string | null;
  created_at: Date;
}

export interface NewUser {
  id: string;
  email: string;
  emailVerified: boolean;
  passwordHash: string;
  name: string | null;
  locale?: string | null;
}

export function createUserQueries(db: Knex) {
  return {
    insert: (user: NewUser) =>
      translated(
        db('users').insert({
          id: user.id,
          email: user.email,
          email_verified: user.emailVerified,
          password_hash: user.passwordHash,
          name: user.name,
          locale: user.locale ?? null,
        }),
      ).then(() => undefined),
    findByEmail: (email: string) =>
      translated(db<UserRow>('users').where({ email }).first()) as Promise<UserRow | undefined>,
    findById: (id: string) => translated(db<UserRow>('users').where({ id }).first()) as Promise<UserRow | undefined>,
    updatePasswordHash: (id: string, passwordHash: string) =>
      translated(db('users').where({ id }).update({ password_hash: passwordHash, updated_at: db.fn.now() })),
    /**
     * Replaces the hash only if it is still `expected` (compare-and-set): a rehash at sign-in
     * never overwrites a password reset or change that landed in between. True when replaced.
     */
    replacePasswordHash: async (id: string, expected: string, passwordHash: string): Promise<boolean> =>
      (
        await translated(
          db('users').where({ id, password_hash: expected }).update({ password_hash: passwordHash, updated_at: db.fn.now() }).returning('id'),
        )
      ).length > 0,
    /** Records the account's language once: an account's mails keep the language it was made in. */
    setLocaleIfUnset: (id: string, locale: string) =>
      translated(db('users').where({ id }).whereNull('locale').update({ locale })).then(() => undefined),
    recordLogin: (id: string) => translated(db('users').where({ id }).update({ last_login_at: db.fn.now() })).then(() => undefined),
    markEmailVerified: (id: string) =>
      translated(db('users').where({ id }).update({ email_verified: true, updated_at: db.fn.now() })).then(() => undefined),
    /** Removes the user; MFA records and email tokens go with it (ON DELETE CASCADE). */
    delete: async (id: string): Promise<boolean> =>
      (await translated(db('users').where({ id }).delete().returning('id'))).length > 0,
    /** Sets or clears disabled_at (now); false when there is no such user. */
    setDisabled: async (id: string, disabled: boolean): Promise<boolean> =>
      (await translated(db('users').where({ id }).update({ disabled_at: disabled ? db.fn.now() : null, updated_at: db.fn.now() }).returning('id'))).length > 0,
    rename: async (id: string, name: string | null): Promise<boolean> =>
      (await translated(db('users').where({ id }).update({ name, updated_at: db.fn.now() }).returning('id'))).length > 0,
    list: () =>
      translated(
        db<UserRow>('users').select('id', 'email', 'email_verified', 'name', 'org_id', 'disabled_at', 'created_at').orderBy('created_at'),
      ) as Promise<Array<Omit<UserRow, 'password_hash'>>>,
  };
}

export type UserQueries = ReturnType<typeof createUserQueries>;
