/**
 * Changes to how an account signs in, made from the account pages: the password and the second
 * factor. Each one proves identity again with the sign-in's own limits (security/: the known
 * device budget, the (account, IP) backoff, the IP block), audits failures, and — through
 * accounts/flows.ts and mfa/'s change reports — mails the owner.
 *
 * A confirmed second factor only changes through `startReplacement` (needs a current code or a
 * recovery code) or `turnOffMfa` (needs the password and a code). An enrolment from the account
 * page is a pending secret that never touches the confirmed one and completes only if the factor
 * did not change since it began.
 */
import type { AccountFlows } from '../accounts/flows.ts';
import { type Account, type AccountService, normalizeEmail } from '../accounts/index.ts';
import type { AuditTrail } from '../audit/index.ts';
import { InvalidCredentials } from '../errors.ts';
import type { Enrolment, MfaService } from '../mfa/index.ts';
import type { SecurityService, SignInAttempt } from '../security/index.ts';
import { knownDeviceFor } from './known-device.ts';
import type { RequestFacts } from './request.ts';

type Origin = Omit<RequestFacts, 'clientId'>;
export type Proof = { kind: 'ok' } | { kind: 'invalid' } | { kind: 'refused'; retryAfter: number };
export type EnrolmentPage = { kind: 'already_on' } | { kind: 'enrol'; enrolment: Enrolment; replacing: boolean };
export type EnrolmentConfirmation =
  | { kind: 'confirmed'; replaced: boolean; recoveryCodes: string[] }
  | { kind: 'mismatch'; enrolment: Enrolment; replacing: boolean }
  | { kind: 'stale' };

export function createAccountChanges(deps: {
  accounts: Pick<AccountService, 'authenticate'>;
  flows: Pick<AccountFlows, 'changePassword'>;
  mfa: MfaService;
  security: SecurityService;
  audit: AuditTrail;
}) {
  const { mfa, security, audit } = deps;
  const attemptOf = (account: Account, request: Origin): SignInAttempt => {
    const email = normalizeEmail(account.email);
    return { account: email, ip: request.ip, device: knownDeviceFor(request.device, email) };
  };
  const originOf = (request: Origin) => ({ ip: request.ip, userAgent: request.userAgent, requestId: request.requestId });

  /**
   * Runs `check` (a password or code check) under the sign-in limits: refused while throttled
   * (a slow-down counts as a refusal here: there is no sign-in to carry it), counted and audited
   * as `failureType` when it fails.
   */
  async function proven(account: Account, request: Origin, failureType: string, check: () => Promise<boolean>): Promise<Proof> {
    const attempt = attemptOf(account, request);
    const verdict = await security.throttle(attempt);
    if (verdict.kind !== 'proceed') {
      audit.record({ type: 'signin.blocked', outcome: 'failure', subject: account.id, ...originOf(request), details: { during: failureType, retryAfter: verdict.retryAfter } });
      return { kind: 'refused', retryAfter: verdict.retryAfter };
    }
    if (await check()) return { kind: 'ok' };
    await security.recordFailure(attempt);
    audit.record({ type: failureType, outcome: 'failure', subject: account.id, ...originOf(request) });
    return { kind: 'invalid' };
  }

  const passwordIs = (account: Account, password: string) => () =>
    deps.accounts.authenticate(account.email, password).then(
      () => true,
      (error: unknown) => {
        if (error instanceof InvalidCredentials) return false;
        throw error;
      },
    );
  const codeIs = (account: Account, code: string) => async () => (await mfa.verify(account.id, code)).ok;

  return {
    /** Needs the current password; signs out every other session and app, audits and mails (flows). */
    async changePassword(input: { account: Account; sessionId: string; currentPassword: string; newPassword: string; request: Origin }): Promise<Proof> {
      return proven(input.account, input.request, 'password.change_failed', async () => {
        try {
          await deps.flows.changePassword({ accountId: input.account.id, currentPassword: input.currentPassword, newPassword: input.newPassword, keepSessionId: input.sessionId });
          return true;
        } catch (error) {
          if (error instanceof InvalidCredentials) return false;
          throw error;
        }
      });
    },

    /** Needs the password and a current code (or a recovery code); mailed through mfa's change report. */
    async turnOffMfa(input: { account: Account; password: string; code: string; request: Origin }): Promise<Proof> {
      const proof = await proven(input.account, input.request, 'mfa.disable_failed', async () => (await passwordIs(input.account, input.password)()) && (await codeIs(input.account, input.code)()));
      if (proof.kind !== 'ok') return proof;
      await mfa.remove(input.account.id);
      audit.record({ type: 'mfa.disabled', outcome: 'success', subject: input.account.id, ...originOf(input.request) });
      return proof;
    },

    /** Turning MFA on: a pending enrolment (the same one again when `enrolmentId` is still usable). */
    async enrolmentPage(input: { account: Account; enrolmentId?: string | undefined }): Promise<EnrolmentPage> {
      const factor = await mfa.factor(input.account.id);
      const resumed = input.enrolmentId ? await mfa.resumeEnrolment(input.account.id, input.enrolmentId, input.account.email) : undefined;
      if (resumed) return { kind: 'enrol', enrolment: resumed, replacing: factor.totp };
      if (factor.totp) return { kind: 'already_on' };
      return { kind: 'enrol', enrolment: await mfa.beginEnrolment(input.account.id, input.account.email, factor.epoch), replacing: false };
    },

    /** Replacing the authenticator: a current code (or a recovery code) first, then a pending enrolment. */
    async startReplacement(input: { account: Account; code: string; request: Origin }): Promise<Exclude<Proof, { kind: 'ok' }> | { kind: 'enrol'; enrolment: Enrolment; replacing: true }> {
      const factor = await mfa.factor(input.account.id);
      if (!factor.totp) return { kind: 'invalid' };
      const proof = await proven(input.account, input.request, 'mfa.replace_failed', codeIs(input.account, input.code));
      if (proof.kind !== 'ok') return proof;
      // Started from the epoch *before* the code was checked: a recovery code does not change it.
      return { kind: 'enrol', enrolment: await mfa.beginEnrolment(input.account.id, input.account.email, factor.epoch), replacing: true };
    },

    /** The first code of the new authenticator: it becomes the factor if nothing changed since the enrolment began. */
    async confirmEnrolment(input: { account: Account; enrolmentId: string; code: string; request: Origin }): Promise<EnrolmentConfirmation> {
      const outcome = await mfa.confirmEnrolment(input.account.id, input.enrolmentId, input.code);
      if (outcome.kind === 'mismatch') {
        const enrolment = await mfa.resumeEnrolment(input.account.id, input.enrolmentId, input.account.email);
        return enrolment ? { kind: 'mismatch', enrolment, replacing: (await mfa.factor(input.account.id)).totp } : { kind: 'stale' };
      }
      if (outcome.kind === 'stale') return outcome;
      audit.record({ type: outcome.replaced ? 'mfa.replaced' : 'mfa.enrolled', outcome: 'success', subject: input.account.id, ...originOf(input.request), details: { during: 'account' } });
      return { kind: 'confirmed', replaced: outcome.replaced, recoveryCodes: outcome.recoveryCodes };
    },
  };
}

export type AccountChanges = ReturnType<typeof createAccountChanges>;
