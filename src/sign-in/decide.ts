/**
 * The sign-in's decisions, as pure functions over the facts of one step: what comes next.
 * The service (index.ts) gathers facts, asks, and does what the answer says — nothing else.
 * Each table below is unit-tested row by row (test/unit/sign-in/decide.test.ts).
 */
import { decideMfa, type MfaFacts } from '../mfa/policy.ts';
import type { ThrottleVerdict } from '../security/backoff.ts';

/** What the user has now: a confirmed factor or not, and how many times it has changed. */
export interface FactorFacts {
  enrolled: boolean;
  epoch: number;
  /** How many passkeys the user has (0 when unknown). */
  passkeys?: number;
}

/** How a first-factor method ended (methods/). */
export type MethodOutcome =
  | { kind: 'rejected' }
  /** An upstream identity for an existing account it is not linked to (federation). */
  | { kind: 'link_required' }
  /** `multiFactor`: the method alone proves two factors (a passkey with user verification; an upstream whose MFA is trusted). */
  | {
      kind: 'verified';
      multiFactor: boolean;
      /** The method was a passkey (origin-bound: loa:3). */
      phishingResistant?: boolean;
      emailVerified: boolean;
      factor: FactorFacts;
      roles: readonly string[];
    };

export interface SignInPolicyFacts {
  requireVerifiedEmail: boolean;
  /** The client is registered with allow_unverified_email. */
  clientAllowsUnverified: boolean;
  mfa: Omit<MfaFacts, 'enrolled' | 'roles' | 'hasPasskey'>;
}

export type FirstFactorStep =
  | { kind: 'refused'; retryAfter: number; dimension: 'ip' | 'account_ip' }
  | { kind: 'wait'; retryAfter: number; notBeforeMs: number }
  /** Run the method (the throttle let this attempt through). */
  | { kind: 'authenticate' }
  | { kind: 'invalid' }
  | { kind: 'prove_link' }
  | { kind: 'unverified' }
  | { kind: 'verify' }
  | { kind: 'enrol'; reason: 'role' | 'client' | 'acr' }
  /** Only a passkey satisfies this sign-in (loa:3): `available` when the user has one to use. */
  | { kind: 'passkey_only'; reason: 'role' | 'client' | 'acr'; available: boolean }
  | { kind: 'done'; multiFactor: boolean };

/**
 * identify → authenticate → (gate) → second factor:
 *
 * | # | throttle | method                 | email                                   | second factor (decideMfa) | next           |
 * |---|----------|------------------------|-----------------------------------------|---------------------------|----------------|
 * | 1 | refused  | –                      | –                                       | –                         | refused        |
 * | 2 | wait     | –                      | –                                       | –                         | wait           |
 * | 3 | proceed  | not run yet            | –                                       | –                         | authenticate   |
 * | 4 | proceed  | rejected               | –                                       | –                         | invalid        |
 * | 4b| proceed  | link required (upstream) | –                                     | –                         | prove link     |
 * | 5 | proceed  | verified               | unverified, required, client not exempt | –                         | unverified     |
 * | 6 | proceed  | verified, multi-factor | ok                                      | not passkey-only, or the method was a passkey | done (2 factors) |
 * | 6b| proceed  | verified               | ok                                      | verify, passkey only / passkey required | passkey only |
 * | 7 | proceed  | verified               | ok                                      | verify                    | verify         |
 * | 8 | proceed  | verified               | ok                                      | enrol (role/client/acr)   | enrol          |
 * | 9 | proceed  | verified               | ok                                      | none                      | done (1 factor) |
 */
export function decideFirstFactor(facts: { throttle: ThrottleVerdict; method?: MethodOutcome; policy: SignInPolicyFacts }): FirstFactorStep {
  const { throttle, method, policy } = facts;
  if (throttle.kind === 'refused') return { kind: 'refused', retryAfter: throttle.retryAfter, dimension: throttle.dimension };
  if (throttle.kind === 'wait') return { kind: 'wait', retryAfter: throttle.retryAfter, notBeforeMs: throttle.notBeforeMs };
  if (!method) return { kind: 'authenticate' };
  if (method.kind === 'rejected') return { kind: 'invalid' };
  if (method.kind === 'link_required') return { kind: 'prove_link' };
  if (!method.emailVerified && policy.requireVerifiedEmail && !policy.clientAllowsUnverified) return { kind: 'unverified' };
  const passkeys = method.factor.passkeys ?? 0;
  const mfa = decideMfa({ ...policy.mfa, enrolled: method.factor.enrolled, hasPasskey: passkeys > 0, roles: method.roles });
  const passkeyOnly = mfa.kind === 'passkey_required' ? mfa.reason : mfa.kind === 'verify' ? mfa.passkeyOnly : undefined;
  if (method.multiFactor && (method.phishingResistant || !passkeyOnly)) return { kind: 'done', multiFactor: true };
  if (passkeyOnly) return { kind: 'passkey_only', reason: passkeyOnly, available: passkeys > 0 };
  if (mfa.kind === 'verify') return { kind: 'verify' };
  if (mfa.kind === 'enrol') return { kind: 'enrol', reason: mfa.reason };
  return { kind: 'done', multiFactor: false };
}

/**
 * May a sign-in still act on the factor state it decided on? (Every step after the first factor.)
 *
 * | # | stage                            | epoch now vs. at the first factor | factor now   | next     |
 * |---|----------------------------------|-----------------------------------|--------------|----------|
 * | 1 | any                              | changed                           | –            | restart  |
 * | 2 | second_factor, enrolled (done)   | same                              | none         | restart  |
 * | 3 | enrol                            | same                              | enrolled     | restart  |
 * | 4 | otherwise                        | same                              | as expected  | continue |
 */
export function decideFactorStep(facts: { stage: 'second_factor' | 'enrol' | 'enrolled'; epochAtStart: number; factor: FactorFacts }): 'restart' | 'continue' {
  if (facts.factor.epoch !== facts.epochAtStart) return 'restart';
  const expectEnrolled = facts.stage !== 'enrol';
  return facts.factor.enrolled === expectEnrolled ? 'continue' : 'restart';
}

export type SecondFactorStep =
  | { kind: 'restart' }
  | { kind: 'refused'; retryAfter: number }
  | { kind: 'wait'; retryAfter: number; notBeforeMs: number }
  /** Check the code (the throttle let this attempt through). */
  | { kind: 'check' }
  | { kind: 'invalid' }
  | { kind: 'done'; method: 'otp' | 'recovery' };

/**
 * The second factor of an enrolled user:
 *
 * | # | factor step (decideFactorStep) | throttle | code        | next     |
 * |---|--------------------------------|----------|-------------|----------|
 * | 1 | restart                        | –        | –           | restart  |
 * | 2 | continue                       | refused  | –           | refused  |
 * | 3 | continue                       | wait     | –           | wait     |
 * | 4 | continue                       | proceed  | not checked | check    |
 * | 5 | continue                       | proceed  | wrong       | invalid  |
 * | 6 | continue                       | proceed  | otp/recovery| done     |
 */
export function decideSecondFactor(facts: {
  epochAtStart: number;
  factor: FactorFacts;
  throttle: ThrottleVerdict;
  code?: { ok: false } | { ok: true; method: 'otp' | 'recovery' };
}): SecondFactorStep {
  if (decideFactorStep({ stage: 'second_factor', epochAtStart: facts.epochAtStart, factor: facts.factor }) === 'restart') return { kind: 'restart' };
  if (facts.throttle.kind === 'refused') return { kind: 'refused', retryAfter: facts.throttle.retryAfter };
  if (facts.throttle.kind === 'wait') return { kind: 'wait', retryAfter: facts.throttle.retryAfter, notBeforeMs: facts.throttle.notBeforeMs };
  if (!facts.code) return { kind: 'check' };
  return facts.code.ok ? { kind: 'done', method: facts.code.method } : { kind: 'invalid' };
}

export type EnrolmentStep = { kind: 'restart' } | { kind: 'confirm' } | { kind: 'mismatch' } | { kind: 'recovery_codes'; epoch: number };

/**
 * Enrolment inside a sign-in (policy demands a factor the user does not have yet):
 *
 * | # | factor step (stage enrol) | confirmation   | next           |
 * |---|---------------------------|----------------|----------------|
 * | 1 | restart                   | –              | restart        |
 * | 2 | continue                  | not tried yet  | confirm        |
 * | 3 | continue                  | code mismatch  | mismatch (same secret again) |
 * | 4 | continue                  | stale (lost the compare-and-set, or expired) | restart |
 * | 5 | continue                  | confirmed      | recovery codes |
 */
export function decideEnrolment(facts: {
  epochAtStart: number;
  factor: FactorFacts;
  confirmation?: { kind: 'mismatch' } | { kind: 'stale' } | { kind: 'confirmed'; epoch: number };
}): EnrolmentStep {
  if (decideFactorStep({ stage: 'enrol', epochAtStart: facts.epochAtStart, factor: facts.factor }) === 'restart') return { kind: 'restart' };
  if (!facts.confirmation) return { kind: 'confirm' };
  if (facts.confirmation.kind === 'mismatch') return { kind: 'mismatch' };
  if (facts.confirmation.kind === 'stale') return { kind: 'restart' };
  return { kind: 'recovery_codes', epoch: facts.confirmation.epoch };
}
