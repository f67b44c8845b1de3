/**
 * Passkeys on the account pages: add (several, each named), rename, remove. Challenges are bound
 * to the account session (`account:<session uid>`). Every change is audited; the first factor
 * added and the last one removed are mailed to the owner (the same notices as TOTP).
 *
 * Removing the user's last factor follows the rule of turning MFA off: it needs the current
 * factor — a fresh assertion of one of the user's passkeys, verified here — and is audited and
 * mailed. Removing one of several needs the signed-in session only.
 */
import type { Account } from '../accounts/index.ts';
import type { AuditTrail } from '../audit/index.ts';
import type { MfaService } from '../mfa/index.ts';
import type { Notice } from '../notifications/index.ts';
import type { AuthenticationResponseJSON, PasskeyService, PasskeyView, RegistrationResponseJSON } from '../passkeys/index.ts';
import type { RequestFacts } from './request.ts';

type Origin = Omit<RequestFacts, 'clientId'>;

export type PasskeyAdded = { kind: 'added'; passkey: PasskeyView } | { kind: 'refused' } | { kind: 'duplicate' } | { kind: 'stale' };
export type PasskeyRemoved = { kind: 'removed'; last: boolean } | { kind: 'not_found' } | { kind: 'proof_needed' } | { kind: 'invalid' };

export function createPasskeyChanges(deps: {
  passkeys: Pick<PasskeyService, 'list' | 'registrationOptions' | 'register' | 'authenticationOptions' | 'authenticate' | 'rename' | 'remove'>;
  mfa: Pick<MfaService, 'factor'>;
  audit: AuditTrail;
  notify: (to: string, notice: Notice) => Promise<void>;
}) {
  const { passkeys, audit } = deps;
  const binding = (sessionUid: string) => `account:${sessionUid}`;
  const originOf = (request: Origin) => ({ ip: request.ip, userAgent: request.userAgent, requestId: request.requestId });
  /** Is `id` the user's last factor (no TOTP, no other passkey)? */
  const isLast = async (userId: string) => {
    const factor = await deps.mfa.factor(userId);
    return !factor.totp && factor.passkeys <= 1;
  };

  return {
    list: (account: Account) => passkeys.list(account.id),
    registrationOptions: (account: Account, sessionUid: string) => passkeys.registrationOptions(binding(sessionUid), { id: account.id, email: account.email }),

    async add(input: { account: Account; sessionUid: string; name: string; response: RegistrationResponseJSON; request: Origin }): Promise<PasskeyAdded> {
      const factor = await deps.mfa.factor(input.account.id);
      const outcome = await passkeys.register(binding(input.sessionUid), input.account, input.response, input.name, factor.epoch);
      if (outcome.kind !== 'added') {
        const reason = outcome.kind === 'refused' ? outcome.reason : outcome.kind;
        audit.record({ type: 'passkey.add_failed', outcome: 'failure', subject: input.account.id, ...originOf(input.request), details: { reason } });
        return { kind: outcome.kind };
      }
      audit.record({ type: 'passkey.added', outcome: 'success', subject: input.account.id, ...originOf(input.request), details: { passkey: outcome.passkey.id, backedUp: outcome.passkey.backedUp } });
      if (!factor.enrolled) await deps.notify(input.account.email, { kind: 'mfa-enrolled' });
      return { kind: 'added', passkey: outcome.passkey };
    },

    async rename(input: { account: Account; id: string; name: string; request: Origin }): Promise<boolean> {
      const renamed = await passkeys.rename(input.account.id, input.id, input.name);
      if (renamed) audit.record({ type: 'passkey.renamed', outcome: 'success', subject: input.account.id, ...originOf(input.request), details: { passkey: input.id } });
      return renamed;
    },

    /** A challenge to prove the current factor before removing the last one. */
    proofOptions: (account: Account, sessionUid: string) => passkeys.authenticationOptions(binding(sessionUid), account.id),
    /** Whether removing `id` would remove the user's last factor (the page then asks for a passkey first). */
    isLastFactor: (account: Account) => isLast(account.id),

    async remove(input: { account: Account; sessionUid: string; id: string; proof?: AuthenticationResponseJSON | undefined; request: Origin }): Promise<PasskeyRemoved> {
      const owned = (await passkeys.list(input.account.id)).some((passkey) => passkey.id === input.id);
      if (!owned) return { kind: 'not_found' };
      const last = await isLast(input.account.id);
      if (last) {
        if (!input.proof) return { kind: 'proof_needed' };
        const assertion = await passkeys.authenticate(binding(input.sessionUid), input.proof, input.account.id);
        if (assertion.kind === 'refused') {
          audit.record({ type: 'passkey.remove_failed', outcome: 'failure', subject: input.account.id, ...originOf(input.request), details: { passkey: input.id, reason: assertion.reason } });
          return { kind: 'invalid' };
        }
      }
      const { removed } = await passkeys.remove(input.account.id, input.id);
      if (!removed) return { kind: 'not_found' };
      audit.record({ type: 'passkey.removed', outcome: 'success', subject: input.account.id, ...originOf(input.request), details: { passkey: input.id, last } });
      if (last) await deps.notify(input.account.email, { kind: 'mfa-removed' });
      return { kind: 'removed', last };
    },
  };
}

export type PasskeyChanges = ReturnType<typeof createPasskeyChanges>;
