/**
 * The sign-in journey as a domain flow: identify → authenticate (a method: password now; an
 * upstream provider or a passkey later) → email gate → second factor (verify, or enrol when
 * policy demands one) → consent → done.
 *
 * Each entry point takes the sign-in's state (state.ts, bound to the interaction) and the
 * request's facts, asks the pure decisions (decide.ts, security/backoff.ts) what comes next, does
 * exactly that (check a credential, record a failure, audit, queue a mail) and returns the step
 * for the edge to render, plus the new state for the edge to keep. It knows nothing of Koa or
 * oidc-provider.
 *
 * @example
 * const { step, state } = await signIn.password(current, { uid, email, password, request, client });
 * if (step.kind === 'done') // finish the login prompt with step.login, set the device cookie
 */
import { randomBytes } from 'node:crypto';
import type { AccountFlows } from '../accounts/flows.ts';
import { type AccountService, normalizeEmail } from '../accounts/index.ts';
import type { AuditTrail } from '../audit/index.ts';
import type { Federation, UpstreamIdentity } from '../federation/index.ts';
import { acrOf, type MfaService } from '../mfa/index.ts';
import type { Notice } from '../notifications/index.ts';
import { type AuthenticationResponseJSON, type PasskeyService, passkeyAmr } from '../passkeys/index.ts';
import type { SecurityService, SignInAttempt, ThrottleVerdict } from '../security/index.ts';
import { type ConsentPlan, planConsent } from './consent.ts';
import { decideEnrolment, decideFactorStep, decideFirstFactor, decideSecondFactor, type FirstFactorStep, type MethodOutcome } from './decide.ts';
import { type DeviceClaims, knownDeviceFor, rememberDevice } from './known-device.ts';
import type { MethodResult } from './methods/method.ts';
import { passkeyMethod } from './methods/passkey.ts';
import { passwordMethod } from './methods/password.ts';
import { upstreamMethod } from './methods/upstream.ts';
import type { ClientFacts, RequestFacts } from './request.ts';
import type { ProvenState, SignInState } from './state.ts';

export { type AccountChanges, createAccountChanges } from './account-changes.ts';
export { type ConsentApi, type ConsentPlan, describeConsent, planConsent, requestedConsent } from './consent.ts';
export { type DeviceClaims, decodeDeviceClaims, encodeDeviceClaims } from './known-device.ts';
export { createPasskeyChanges, type PasskeyChanges } from './passkey-changes.ts';
export type { ClientFacts, RequestFacts } from './request.ts';
export { readSignInState, type SignInState } from './state.ts';

/** What finishes oidc-provider's login prompt. */
export interface Login {
  accountId: string;
  amr: string[];
  acr: string;
}

export type Done = { kind: 'done'; login: Login; device: DeviceClaims };
export type Restart = { kind: 'restart' };
export type NothingPending = { kind: 'nothing_pending' };
export type Throttled = { kind: 'refused'; retryAfter: number } | { kind: 'wait'; retryAfter: number };

export type FirstFactorResult =
  | Done
  | Throttled
  | { kind: 'invalid' }
  | { kind: 'unverified' }
  | { kind: 'second_factor' }
  /** An upstream identity was refused (`reason`: domain not allowed, no account and no JIT, …). */
  | { kind: 'upstream_refused'; reason: string }
  /** Home-realm discovery: this address signs in at an upstream provider. */
  | { kind: 'upstream'; provider: string; loginHint: string }
  /** An existing account must be proven (its password) before the upstream identity is linked to it. */
  | { kind: 'prove_link'; email: string; provider: string }
  /** A passkey assertion was refused (why is in the audit trail, not on the page). */
  | { kind: 'passkey_refused' }
  /** Only a passkey satisfies this sign-in (loa:3, `reason` says who requires it) and the user has none. */
  | { kind: 'passkey_required'; reason: Reason };
export type SecondFactorPage =
  | Restart
  | NothingPending
  | { kind: 'verify'; email: string; passkeys: number; totp: boolean; passkeyOnly?: Reason | undefined }
  | { kind: 'enrol'; enrolment: { id: string; secret: string; qrSvg: string }; reason: 'role' | 'client' | 'acr' };
export type SecondFactorResult = Done | Restart | NothingPending | Throttled | { kind: 'invalid' } | { kind: 'passkey_only'; reason: Reason };
type Reason = 'role' | 'client' | 'acr';
export type EnrolmentResult = Restart | NothingPending | { kind: 'mismatch'; page: SecondFactorPage } | { kind: 'recovery_codes'; codes: string[] };

/** A step, and the state to keep for the next one (undefined: keep what there is). */
export interface Outcome<Step> {
  step: Step;
  state?: SignInState;
}

export interface SignInDeps {
  accounts: Pick<AccountService, 'authenticate' | 'rememberLocale'>;
  flows: Pick<AccountFlows, 'resendVerification'>;
  mfa: MfaService;
  security: SecurityService;
  rolesOf: (accountId: string) => Promise<readonly string[]>;
  audit: AuditTrail;
  notify: (to: string, notice: Notice) => Promise<void>;
  requireVerifiedEmail: boolean;
  mfaRequiredRoles: readonly string[];
  /** Roles that must sign in with a passkey (loa:3). */
  passkeyRequiredRoles: readonly string[];
  passkeys: Pick<PasskeyService, 'authenticate' | 'authenticationOptions'>;
  accountsById: Pick<AccountService, 'findById'>;
  /** Upstream identity providers (federation/). */
  federation: Pick<Federation, 'resolve' | 'linkProven' | 'takeIdentity' | 'providerForEmail'>;
}

const newTicket = () => randomBytes(16).toString('base64url');

export function createSignIn(deps: SignInDeps) {
  const { audit, security, mfa } = deps;
  const password = passwordMethod(deps.accounts);
  const upstream = upstreamMethod(deps.federation);
  const passkey = passkeyMethod({ passkeys: deps.passkeys, accounts: deps.accountsById });
  /** The challenges of a sign-in are bound to its interaction. */
  const binding = (uid: string) => `sign-in:${uid}`;
  const origin = (request: RequestFacts) => ({ ip: request.ip, userAgent: request.userAgent, requestId: request.requestId, actor: request.clientId });
  const attemptOf = (email: string, request: RequestFacts): SignInAttempt => ({ account: email, ip: request.ip, device: knownDeviceFor(request.device, email) });

  /** A throttled attempt: audited; a slow-down is remembered in the state (the same wait on a retry). */
  function throttled(verdict: Exclude<ThrottleVerdict, { kind: 'proceed' }>, state: SignInState, subject: string, request: RequestFacts): Outcome<Throttled> {
    if (verdict.kind === 'refused') {
      audit.record({ type: 'signin.blocked', outcome: 'failure', subject, ...origin(request), details: { dimension: verdict.dimension, retryAfter: verdict.retryAfter } });
      return { step: { kind: 'refused', retryAfter: verdict.retryAfter } };
    }
    audit.record({ type: 'signin.slowed', outcome: 'failure', subject, ...origin(request), details: { retryAfter: verdict.retryAfter } });
    const ticket = state.wait?.notBeforeMs === verdict.notBeforeMs ? state.wait.ticket : newTicket();
    return { step: { kind: 'wait', retryAfter: verdict.retryAfter }, state: { ...state, wait: { notBeforeMs: verdict.notBeforeMs, ticket } } };
  }

  /** A wrong credential: counted (limits), audited; the owner is mailed when an account-wide slow-down starts. */
  async function failed(attempt: SignInAttempt, type: string, subject: string, request: RequestFacts, details: Record<string, unknown>, ownerEmail?: string) {
    const { warnOwner } = await security.recordFailure(attempt);
    audit.record({ type, outcome: 'failure', subject, ...origin(request), details });
    if (warnOwner && ownerEmail) {
      audit.record({ type: 'signin.backoff', outcome: 'info', subject: attempt.account, ...origin(request) });
      await deps.notify(ownerEmail, { kind: 'signin-backoff' });
    }
  }

  /** The sign-in is complete: limits cleared for this browser, audited, the device remembered. */
  async function done(state: ProvenState, amr: readonly string[], method: string, request: RequestFacts): Promise<Outcome<Done>> {
    await security.recordSuccess(attemptOf(state.email, request));
    // The existing account was proven (password, and its second factor if enrolled): now the link.
    if (state.link) await deps.federation.linkProven(state.link as UpstreamIdentity, state.accountId);
    audit.record({ type: 'signin.success', outcome: 'success', subject: state.accountId, ...origin(request), details: { method } });
    if (request.locale) await deps.accounts.rememberLocale(state.accountId, request.locale);
    const acr = acrOf(amr);
    return { step: { kind: 'done', login: { accountId: state.accountId, amr: [...amr], acr }, device: rememberDevice(request.device, state.email) } };
  }

  /** A signature counter went backwards (a cloned authenticator?): always audited; policy refused or accepted it. */
  function counterRegressed(who: { userId?: string; passkeyId?: string; reason?: string }, request: RequestFacts, decision: 'refused' | 'accepted') {
    audit.record({ type: 'passkey.counter_regressed', outcome: 'failure', subject: who.userId ?? '', ...origin(request), details: { passkey: who.passkeyId, decision } });
  }

  function restart(state: ProvenState, request: RequestFacts): Outcome<Restart> {
    audit.record({ type: 'signin.stale_factor', outcome: 'failure', subject: state.accountId, ...origin(request), details: { stage: state.stage } });
    return { step: { kind: 'restart' } };
  }

  /** What every first-factor method shares once it has a result (password now; upstream and passkey later). */
  async function afterFirstFactor(
    state: Extract<SignInState, { stage: 'identify' }>,
    result: MethodResult,
    method: { name: string; throttled: boolean },
    input: { request: RequestFacts; client: ClientFacts; link?: UpstreamIdentity | undefined },
  ): Promise<Outcome<FirstFactorResult>> {
    const { request, client } = input;
    const attempt = attemptOf(state.email, request);
    const outcome: MethodOutcome =
      result.kind === 'rejected' || result.kind === 'link_required'
        ? { kind: result.kind }
        : {
            kind: 'verified',
            multiFactor: result.multiFactor,
            phishingResistant: result.phishingResistant === true,
            emailVerified: result.account.emailVerified,
            factor: await mfa.factor(result.account.id),
            roles: await deps.rolesOf(result.account.id),
          };
    const step: FirstFactorStep = decideFirstFactor({
      throttle: { kind: 'proceed', redeemWait: false },
      method: outcome,
      policy: {
        requireVerifiedEmail: deps.requireVerifiedEmail,
        clientAllowsUnverified: client.allowsUnverified,
        mfa: {
          requiredRoles: deps.mfaRequiredRoles,
          passkeyRequiredRoles: deps.passkeyRequiredRoles,
          clientRequiresMfa: client.requiresMfa,
          clientRequiresPasskey: client.requiresPasskey === true,
          enrolmentClient: client.enrolsFactors === true,
          acrValues: client.acrValues,
        },
      },
    });
    const cleared = { v: 1, uid: state.uid, email: state.email, ...(state.link ? { link: state.link } : {}) } as const;
    if (result.kind === 'rejected') {
      const details = { reason: result.reason, method: method.name };
      if (method.throttled) await failed(attempt, 'signin.failure', state.email, request, details, state.email);
      else audit.record({ type: 'signin.failure', outcome: 'failure', subject: state.email, ...origin(request), details });
      const refused: FirstFactorResult = method.throttled
        ? { kind: 'invalid' }
        : method.name === passkey.name
          ? { kind: 'passkey_refused' }
          : { kind: 'upstream_refused', reason: result.reason };
      return { step: refused, state: { ...cleared, stage: 'identify' } };
    }
    if (result.kind === 'link_required' || outcome.kind !== 'verified') {
      // decideFirstFactor answered prove_link: the owner proves the existing account first.
      const account = result.kind === 'link_required' ? result.account : undefined;
      const link = input.link;
      if (!account || !link) throw new Error('a link can only be required by an upstream identity');
      audit.record({ type: 'federation.link_required', outcome: 'info', subject: account.id, ...origin(request), details: { provider: link.provider } });
      return { step: { kind: 'prove_link', email: account.email, provider: link.provider }, state: { v: 1, uid: state.uid, email: normalizeEmail(account.email), stage: 'identify', link } };
    }
    const proven = { ...cleared, accountId: result.account.id, accountEmail: result.account.email, amr: [...result.amr], factorEpoch: outcome.factor.epoch };
    switch (step.kind) {
      case 'unverified':
        audit.record({ type: 'signin.unverified_email', outcome: 'failure', subject: proven.accountId, ...origin(request) });
        return { step: { kind: 'unverified' }, state: { ...proven, stage: 'unverified' } };
      case 'verify':
        return { step: { kind: 'second_factor' }, state: { ...proven, stage: 'second_factor' } };
      case 'passkey_only':
        if (step.available) return { step: { kind: 'second_factor' }, state: { ...proven, stage: 'second_factor', passkeyOnly: step.reason } };
        audit.record({ type: 'signin.passkey_required', outcome: 'failure', subject: proven.accountId, ...origin(request), details: { reason: step.reason, method: method.name } });
        return { step: { kind: 'passkey_required', reason: step.reason }, state: { ...cleared, stage: 'identify' } };
      case 'enrol':
        return { step: { kind: 'second_factor' }, state: { ...proven, stage: 'enrol', reason: step.reason } };
      case 'done': {
        const amr = step.multiFactor && result.amr.length < 2 ? [...result.amr, 'mfa'] : result.amr;
        return done({ ...proven, stage: 'second_factor' }, amr, method.name, request);
      }
      default:
        throw new Error(`unexpected first-factor step ${step.kind}`);
    }
  }

  /** The second-factor page: a code prompt, or enrolment (the same pending secret on every reload). */
  async function secondFactorPage(state: SignInState | undefined): Promise<Outcome<SecondFactorPage>> {
    if (state?.stage === 'second_factor') {
      const factor = await mfa.factor(state.accountId);
      if (decideFactorStep({ stage: 'second_factor', epochAtStart: state.factorEpoch, factor }) === 'restart') return { step: { kind: 'restart' } };
      return { step: { kind: 'verify', email: state.accountEmail, passkeys: factor.passkeys, totp: factor.totp, passkeyOnly: state.passkeyOnly } };
    }
    if (state?.stage !== 'enrol') return { step: { kind: 'nothing_pending' } };
    const factor = await mfa.factor(state.accountId);
    if (decideEnrolment({ epochAtStart: state.factorEpoch, factor }).kind === 'restart') return { step: { kind: 'restart' } };
    const resumed = state.enrolmentId ? await mfa.resumeEnrolment(state.accountId, state.enrolmentId, state.accountEmail) : undefined;
    const enrolment = resumed ?? (await mfa.beginEnrolment(state.accountId, state.accountEmail, state.factorEpoch));
    return { step: { kind: 'enrol', enrolment, reason: state.reason }, ...(resumed ? {} : { state: { ...state, enrolmentId: enrolment.id } }) };
  }

  return {
    /** Email and password (the login form). */
    async password(current: SignInState | undefined, input: { uid: string; email: string; password: string; request: RequestFacts; client: ClientFacts }): Promise<Outcome<FirstFactorResult>> {
      await security.consume('signInPerIp', input.request.ip);
      const email = normalizeEmail(input.email);
      // Home-realm discovery: an address of a domain bound to an upstream provider signs in there.
      const realm = await deps.federation.providerForEmail(email);
      if (realm) return { step: { kind: 'upstream', provider: realm, loginHint: email } };
      const state: Extract<SignInState, { stage: 'identify' }> = {
        v: 1,
        uid: input.uid,
        email,
        stage: 'identify',
        ...(current?.email === email && current.wait ? { wait: current.wait } : {}),
      };
      const throttle = await security.throttle(attemptOf(email, input.request), state.wait);
      if (throttle.kind !== 'proceed') return throttled(throttle, state, email, input.request);
      const result = await password.authenticate({ email, password: input.password });
      return afterFirstFactor(state, result, password, input);
    },

    /**
     * An upstream identity provider vouched for the person (federation/: the callback validated
     * its answer). Resolved to an account by the linking rules; then the same gate and second
     * factor as a password (unless the upstream's MFA is trusted and was used).
     */
    async upstream(_current: SignInState | undefined, input: { uid: string; request: RequestFacts; client: ClientFacts }): Promise<Outcome<FirstFactorResult | NothingPending>> {
      const identity = await deps.federation.takeIdentity(input.uid);
      if (!identity) return { step: { kind: 'nothing_pending' } };
      const result = await upstream.authenticate({ identity });
      const email = normalizeEmail(result.kind === 'rejected' ? (identity.email ?? `${identity.subject}@${identity.provider}`) : result.account.email);
      if (result.kind === 'verified') {
        audit.record({ type: 'federation.signin', outcome: 'success', subject: result.account.id, ...origin(input.request), details: { provider: identity.provider, amr: result.amr } });
      }
      return afterFirstFactor({ v: 1, uid: input.uid, email, stage: 'identify' }, result, upstream, { ...input, link: identity });
    },

    /** The password of the existing account an upstream identity wants to link to (then its second factor). */
    async linkWithPassword(current: SignInState | undefined, input: { password: string; request: RequestFacts; client: ClientFacts }): Promise<Outcome<FirstFactorResult | NothingPending>> {
      if (current?.stage !== 'identify' || !current.link) return { step: { kind: 'nothing_pending' } };
      await security.consume('signInPerIp', input.request.ip);
      const throttle = await security.throttle(attemptOf(current.email, input.request), current.wait);
      if (throttle.kind !== 'proceed') return throttled(throttle, current, current.email, input.request);
      const result = await password.authenticate({ email: current.email, password: input.password });
      return afterFirstFactor(current, result, password, { ...input, link: current.link as UpstreamIdentity });
    },

    secondFactorPage,

    /** A TOTP or recovery code of an enrolled user. */
    async secondFactor(state: SignInState | undefined, input: { code: string; request: RequestFacts }): Promise<Outcome<SecondFactorResult>> {
      if (state?.stage !== 'second_factor') return { step: { kind: 'nothing_pending' } };
      const { request } = input;
      const attempt = attemptOf(state.email, request);
      const facts = { epochAtStart: state.factorEpoch, factor: await mfa.factor(state.accountId), throttle: await security.throttle(attempt, state.wait) };
      if (decideSecondFactor(facts).kind === 'restart') return restart(state, request);
      if (state.passkeyOnly) {
        // loa:3 is required: a code a phishing proxy can relay is not accepted, whatever it is.
        audit.record({ type: 'mfa.failed', outcome: 'failure', subject: state.accountId, ...origin(request), details: { method: 'otp', reason: 'passkey_required', requiredBy: state.passkeyOnly } });
        return { step: { kind: 'passkey_only', reason: state.passkeyOnly } };
      }
      if (facts.throttle.kind !== 'proceed') return throttled(facts.throttle, state, state.accountId, request);
      const step = decideSecondFactor({ ...facts, code: await mfa.verify(state.accountId, input.code) });
      if (step.kind !== 'done') {
        await failed(attempt, 'mfa.failed', state.accountId, request, {}, state.accountEmail);
        const { wait: _spent, ...unthrottled } = state;
        return { step: { kind: 'invalid' }, state: unthrottled };
      }
      if (step.method === 'recovery') {
        audit.record({ type: 'mfa.recovery_code_used', outcome: 'success', subject: state.accountId, ...origin(request) });
        await deps.notify(state.accountEmail, { kind: 'recovery-code-used', left: await mfa.unusedRecoveryCodes(state.accountId) });
      } else {
        audit.record({ type: 'mfa.used', outcome: 'success', subject: state.accountId, ...origin(request) });
      }
      return done(state, [...state.amr, 'otp'], step.method, request);
    },

    /**
     * A WebAuthn challenge for this sign-in (bound to its interaction): the user's passkeys at the
     * second factor, any discoverable passkey before (passwordless).
     */
    async passkeyOptions(state: SignInState | undefined, input: { uid: string }) {
      const userId = state?.stage === 'second_factor' ? state.accountId : undefined;
      return deps.passkeys.authenticationOptions(binding(input.uid), userId);
    },

    /**
     * A passkey assertion: the second factor of a proven user (it must be one of theirs), or —
     * with nothing proven yet — a passwordless sign-in. Every refusal is audited with its reason.
     */
    async passkey(
      current: SignInState | undefined,
      input: { uid: string; response: AuthenticationResponseJSON; request: RequestFacts; client: ClientFacts },
    ): Promise<Outcome<FirstFactorResult | SecondFactorResult>> {
      const { request } = input;
      if (current?.stage === 'second_factor') {
        const state = current;
        const facts = { epochAtStart: state.factorEpoch, factor: await mfa.factor(state.accountId) };
        if (decideFactorStep({ stage: 'second_factor', ...facts }) === 'restart') return restart(state, request);
        const assertion = await deps.passkeys.authenticate(binding(input.uid), input.response, state.accountId);
        if (assertion.kind === 'verified' && assertion.counterRegressed) counterRegressed(assertion, request, 'accepted');
        if (assertion.kind === 'refused') {
          if (assertion.reason === 'counter_regressed') counterRegressed(assertion, request, 'refused');
          // Not counted by the sign-in limits: a signature over a single-use challenge is not a guess.
          audit.record({ type: 'mfa.failed', outcome: 'failure', subject: state.accountId, ...origin(request), details: { method: 'passkey', reason: assertion.reason } });
          return { step: { kind: 'invalid' } };
        }
        audit.record({ type: 'mfa.used', outcome: 'success', subject: state.accountId, ...origin(request), details: { method: 'passkey', passkey: assertion.passkeyId } });
        return done(state, [...state.amr, ...passkeyAmr(assertion)], 'passkey', request);
      }
      if (current && current.stage !== 'identify') return { step: { kind: 'nothing_pending' } };
      await security.consume('signInPerIp', request.ip);
      const result = await passkey.authenticate({ binding: binding(input.uid), response: input.response });
      if (result.kind === 'rejected' && result.reason === 'passkey_counter_regressed') counterRegressed({ reason: 'counter_regressed' }, request, 'refused');
      const email = result.kind === 'verified' ? normalizeEmail(result.account.email) : '';
      const state: Extract<SignInState, { stage: 'identify' }> = { v: 1, uid: input.uid, email, stage: 'identify' };
      return afterFirstFactor(state, result, passkey, input);
    },

    /** The first code of the authenticator being enrolled; recovery codes are shown once. */
    async confirmEnrolment(state: SignInState | undefined, input: { code: string; request: RequestFacts }): Promise<Outcome<EnrolmentResult>> {
      if (state?.stage !== 'enrol' || !state.enrolmentId) return { step: { kind: 'nothing_pending' } };
      const facts = { epochAtStart: state.factorEpoch, factor: await mfa.factor(state.accountId) };
      if (decideEnrolment(facts).kind === 'restart') return restart(state, input.request);
      const confirmation = await mfa.confirmEnrolment(state.accountId, state.enrolmentId, input.code);
      const step = decideEnrolment({ ...facts, confirmation });
      if (step.kind === 'mismatch') return { step: { kind: 'mismatch', page: (await secondFactorPage(state)).step } };
      if (step.kind !== 'recovery_codes' || confirmation.kind !== 'confirmed') return restart(state, input.request);
      audit.record({ type: 'mfa.enrolled', outcome: 'success', subject: state.accountId, ...origin(input.request), details: { during: 'sign-in', reason: state.reason } });
      const { enrolmentId: _used, reason: _reason, ...rest } = state;
      return { step: { kind: 'recovery_codes', codes: confirmation.recoveryCodes }, state: { ...rest, stage: 'enrolled', factorEpoch: step.epoch } };
    },

    /** After the recovery codes: the sign-in completes with the new factor. */
    async finishEnrolment(state: SignInState | undefined, input: { request: RequestFacts }): Promise<Outcome<Done | Restart | NothingPending>> {
      if (state?.stage !== 'enrolled') return { step: { kind: 'nothing_pending' } };
      const factor = await mfa.factor(state.accountId);
      if (decideFactorStep({ stage: 'enrolled', epochAtStart: state.factorEpoch, factor }) === 'restart') return restart(state, input.request);
      return done(state, [...state.amr, 'otp'], 'otp', input.request);
    },

    /** A new verification link for the account held at the email gate (rate-limited per account). */
    async resendVerification(state: SignInState | undefined, input: { request: RequestFacts }): Promise<Outcome<NothingPending | { kind: 'sent'; email: string }>> {
      if (state?.stage !== 'unverified') return { step: { kind: 'nothing_pending' } };
      await security.consume('verificationMailPerAccount', state.accountId);
      await deps.flows.resendVerification({ id: state.accountId, email: state.accountEmail });
      audit.record({ type: 'email.verification_resent', outcome: 'success', subject: state.accountId, ...origin(input.request) });
      return { step: { kind: 'sent', email: state.accountEmail } };
    },

    /** Consent: what to add to the grant for what the client asked and the user has not granted yet. */
    consent(input: { accountId: string; missing: Parameters<typeof planConsent>[0]; request: RequestFacts }): ConsentPlan {
      const plan = planConsent(input.missing);
      audit.record({
        type: 'consent.granted',
        outcome: 'success',
        subject: input.accountId,
        ...origin(input.request),
        details: { scopes: plan.scopes, resources: Object.keys(plan.resourceScopes) },
      });
      return plan;
    },
  };
}

export type SignIn = ReturnType<typeof createSignIn>;
