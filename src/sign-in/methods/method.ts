/**
 * "Prove who you are": one interface for every first-factor method of the sign-in. Password now;
 * an upstream identity provider (federation) and a passkey (WebAuthn) are further methods of the
 * same flow — each hands the flow a MethodResult, and everything after it (the email gate, the
 * second factor, limits, audit, the device cookie) is the flow's, identical for all methods.
 */
import type { Account } from '../../accounts/index.ts';

export type MethodResult =
  | {
      kind: 'verified';
      account: Account;
      /** RFC 8176 `amr` values this method proved (`pwd`, later `fed`, `hwk`/`user`…). */
      amr: readonly string[];
      /** True when the method alone is multi-factor (a user-verified passkey; an upstream whose MFA is trusted). */
      multiFactor: boolean;
      /** The method is origin-bound (a passkey): a phishing proxy cannot relay it (loa:3). */
      phishingResistant?: boolean;
    }
  /**
   * The person is known elsewhere but not linked to the existing account with their address: the
   * owner must prove that account (password, then its second factor) before the link is made.
   */
  | { kind: 'link_required'; account: Account }
  /** `reason` goes to the audit trail (a password's every answer to the browser is the same). */
  | { kind: 'rejected'; reason: string };

export interface AuthenticationMethod<Input> {
  /** The method's name in audit events (`details.method`). */
  readonly name: string;
  /**
   * Whether wrong attempts of this method are guesses the sign-in limits must count (a password
   * is; a signed upstream assertion is not).
   */
  readonly throttled: boolean;
  authenticate(input: Input): Promise<MethodResult>;
}
