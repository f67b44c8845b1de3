import { type AccountService, normalizeEmail } from '../../accounts/index.ts';
import { InvalidCredentials } from '../../errors.ts';
import type { AuthenticationMethod } from './method.ts';

export interface PasswordInput {
  email: string;
  password: string;
}

/** Email + password (argon2id; unknown emails cost a dummy verification, see accounts/). */
export function passwordMethod(accounts: Pick<AccountService, 'authenticate'>): AuthenticationMethod<PasswordInput> {
  return {
    name: 'pwd',
    throttled: true,
    async authenticate({ email, password }) {
      try {
        return { kind: 'verified', account: await accounts.authenticate(normalizeEmail(email), password), amr: ['pwd'], multiFactor: false };
      } catch (error) {
        if (error instanceof InvalidCredentials) return { kind: 'rejected', reason: error.reason };
        throw error;
      }
    },
  };
}
