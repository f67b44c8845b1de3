import type { AccountService } from '../../accounts/index.ts';
import type { AuthenticationResponseJSON, PasskeyService } from '../../passkeys/index.ts';
import { passkeyAmr } from '../../passkeys/index.ts';
import type { AuthenticationMethod } from './method.ts';

export interface PasskeyInput {
  /** The challenge binding of this sign-in (`sign-in:<interaction uid>`). */
  binding: string;
  response: AuthenticationResponseJSON;
}

/**
 * Passwordless: a discoverable passkey's assertion names its account. User verification is
 * required (the library refuses an assertion without it), so the passkey alone is two factors
 * (the key, and the PIN or biometric that unlocked it) and phishing-resistant (loa:3). Not
 * throttled: a signature over a single-use challenge is not a guess.
 */
export function passkeyMethod(deps: { passkeys: Pick<PasskeyService, 'authenticate'>; accounts: Pick<AccountService, 'findById'> }): AuthenticationMethod<PasskeyInput> {
  return {
    name: 'passkey',
    throttled: false,
    async authenticate({ binding, response }) {
      const assertion = await deps.passkeys.authenticate(binding, response);
      if (assertion.kind === 'refused') return { kind: 'rejected', reason: `passkey_${assertion.reason}` };
      const account = await deps.accounts.findById(assertion.userId);
      if (!account || account.disabled) return { kind: 'rejected', reason: 'account_disabled' };
      return { kind: 'verified', account, amr: [...passkeyAmr(assertion), 'mfa'], multiFactor: assertion.userVerified, phishingResistant: true };
    },
  };
}
