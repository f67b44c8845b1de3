/** Every row of the sign-in's decision tables (src/sign-in/decide.ts), one case each. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ThrottleVerdict } from '../../../src/security/index.ts';
import { decideEnrolment, decideFactorStep, decideFirstFactor, decideSecondFactor, type MethodOutcome, type SignInPolicyFacts } from '../../../src/sign-in/decide.ts';

const proceed: ThrottleVerdict = { kind: 'proceed', redeemWait: false };
const refused: ThrottleVerdict = { kind: 'refused', dimension: 'account_ip', retryAfter: 8 };
const wait: ThrottleVerdict = { kind: 'wait', retryAfter: 30, notBeforeMs: 1_030_000 };
const policy = {
  requireVerifiedEmail: true,
  clientAllowsUnverified: false,
  mfa: { requiredRoles: ['admin'], clientRequiresMfa: false, acrValues: undefined },
};
const verified = (overrides: Partial<Extract<MethodOutcome, { kind: 'verified' }>> = {}): MethodOutcome => ({
  kind: 'verified',
  multiFactor: false,
  emailVerified: true,
  factor: { enrolled: false, epoch: 0 },
  roles: [],
  ...overrides,
});

test('first factor, rows 1–3: the throttle speaks first; a passing attempt runs the method', () => {
  assert.deepEqual(decideFirstFactor({ throttle: refused, method: verified(), policy }), { kind: 'refused', retryAfter: 8, dimension: 'account_ip' });
  assert.deepEqual(decideFirstFactor({ throttle: wait, policy }), { kind: 'wait', retryAfter: 30, notBeforeMs: 1_030_000 });
  assert.deepEqual(decideFirstFactor({ throttle: proceed, policy }), { kind: 'authenticate' });
});

test('first factor, row 4: a rejected credential is invalid', () => {
  assert.deepEqual(decideFirstFactor({ throttle: proceed, method: { kind: 'rejected' }, policy }), { kind: 'invalid' });
});

test('first factor, row 4b: an upstream identity of an existing, unlinked account must prove that account first', () => {
  assert.deepEqual(decideFirstFactor({ throttle: proceed, method: { kind: 'link_required' }, policy }), { kind: 'prove_link' });
});

test('first factor, row 5: an unverified email is held back, unless not required or the client is exempt', () => {
  const unverified = verified({ emailVerified: false });
  assert.deepEqual(decideFirstFactor({ throttle: proceed, method: unverified, policy }), { kind: 'unverified' });
  assert.deepEqual(decideFirstFactor({ throttle: proceed, method: unverified, policy: { ...policy, clientAllowsUnverified: true } }), { kind: 'done', multiFactor: false });
  assert.deepEqual(decideFirstFactor({ throttle: proceed, method: unverified, policy: { ...policy, requireVerifiedEmail: false } }), { kind: 'done', multiFactor: false });
});

test('first factor, row 6: a multi-factor method (passkey, trusted upstream MFA) is done with two factors', () => {
  assert.deepEqual(decideFirstFactor({ throttle: proceed, method: verified({ multiFactor: true, factor: { enrolled: true, epoch: 1 } }), policy }), {
    kind: 'done',
    multiFactor: true,
  });
});

test('first factor, row 7: an enrolled user always verifies the second factor', () => {
  assert.deepEqual(decideFirstFactor({ throttle: proceed, method: verified({ factor: { enrolled: true, epoch: 3 } }), policy }), { kind: 'verify' });
});

test('first factor, row 8: policy without a factor means enrolment, with its reason', () => {
  assert.deepEqual(decideFirstFactor({ throttle: proceed, method: verified({ roles: ['admin'] }), policy }), { kind: 'enrol', reason: 'role' });
  const clientPolicy = { ...policy, mfa: { ...policy.mfa, clientRequiresMfa: true } };
  assert.deepEqual(decideFirstFactor({ throttle: proceed, method: verified(), policy: clientPolicy }), { kind: 'enrol', reason: 'client' });
  const acrPolicy = { ...policy, mfa: { ...policy.mfa, acrValues: 'urn:gatehouse:loa:2' } };
  assert.deepEqual(decideFirstFactor({ throttle: proceed, method: verified(), policy: acrPolicy }), { kind: 'enrol', reason: 'acr' });
});

test('first factor, row 9: no factor and no policy: done with one factor', () => {
  assert.deepEqual(decideFirstFactor({ throttle: proceed, method: verified(), policy }), { kind: 'done', multiFactor: false });
});

test('factor step: a changed epoch, or a factor that is not what the stage expects, means start again', () => {
  assert.equal(decideFactorStep({ stage: 'second_factor', epochAtStart: 1, factor: { enrolled: true, epoch: 2 } }), 'restart');
  assert.equal(decideFactorStep({ stage: 'second_factor', epochAtStart: 1, factor: { enrolled: false, epoch: 1 } }), 'restart');
  assert.equal(decideFactorStep({ stage: 'enrolled', epochAtStart: 1, factor: { enrolled: false, epoch: 1 } }), 'restart');
  assert.equal(decideFactorStep({ stage: 'enrol', epochAtStart: 0, factor: { enrolled: true, epoch: 0 } }), 'restart');
  assert.equal(decideFactorStep({ stage: 'enrol', epochAtStart: 0, factor: { enrolled: false, epoch: 0 } }), 'continue');
  assert.equal(decideFactorStep({ stage: 'second_factor', epochAtStart: 4, factor: { enrolled: true, epoch: 4 } }), 'continue');
  assert.equal(decideFactorStep({ stage: 'enrolled', epochAtStart: 5, factor: { enrolled: true, epoch: 5 } }), 'continue');
});

test('second factor, every row', () => {
  const base = { epochAtStart: 2, factor: { enrolled: true, epoch: 2 } };
  assert.deepEqual(decideSecondFactor({ ...base, factor: { enrolled: true, epoch: 3 }, throttle: proceed, code: { ok: true, method: 'otp' } }), { kind: 'restart' });
  assert.deepEqual(decideSecondFactor({ ...base, throttle: refused }), { kind: 'refused', retryAfter: 8 });
  assert.deepEqual(decideSecondFactor({ ...base, throttle: wait }), { kind: 'wait', retryAfter: 30, notBeforeMs: 1_030_000 });
  assert.deepEqual(decideSecondFactor({ ...base, throttle: proceed }), { kind: 'check' });
  assert.deepEqual(decideSecondFactor({ ...base, throttle: proceed, code: { ok: false } }), { kind: 'invalid' });
  assert.deepEqual(decideSecondFactor({ ...base, throttle: proceed, code: { ok: true, method: 'recovery' } }), { kind: 'done', method: 'recovery' });
});

test('enrolment, every row', () => {
  const base = { epochAtStart: 0, factor: { enrolled: false, epoch: 0 } };
  assert.deepEqual(decideEnrolment({ epochAtStart: 0, factor: { enrolled: true, epoch: 1 }, confirmation: { kind: 'confirmed', epoch: 2 } }), { kind: 'restart' });
  assert.deepEqual(decideEnrolment(base), { kind: 'confirm' });
  assert.deepEqual(decideEnrolment({ ...base, confirmation: { kind: 'mismatch' } }), { kind: 'mismatch' });
  assert.deepEqual(decideEnrolment({ ...base, confirmation: { kind: 'stale' } }), { kind: 'restart' });
  assert.deepEqual(decideEnrolment({ ...base, confirmation: { kind: 'confirmed', epoch: 1 } }), { kind: 'recovery_codes', epoch: 1 });
});

/** The passkey rows of decideFirstFactor (6, 6b, 7): who may finish with a passkey, who must use one. */
const passkeyPolicy: SignInPolicyFacts = { ...policy, mfa: { ...policy.mfa, passkeyRequiredRoles: ['staff'] } };
const loa3Policy: SignInPolicyFacts = { ...policy, mfa: { ...policy.mfa, acrValues: 'urn:gatehouse:loa:3' } };
const passkeyMethod = (roles: string[] = []) => verified({ multiFactor: true, phishingResistant: true, roles, factor: { enrolled: true, epoch: 1, passkeys: 1 } });
const trustedUpstream = (passkeys: number) => verified({ multiFactor: true, roles: ['staff'], factor: { enrolled: passkeys > 0, epoch: 1, passkeys } });
const password = (factor: { enrolled: boolean; passkeys: number }, roles: string[] = []) => verified({ roles, factor: { ...factor, epoch: 1 } });
const firstFactorPasskeyRows: Array<[string, MethodOutcome, SignInPolicyFacts, ReturnType<typeof decideFirstFactor>]> = [
  ['row 6: a passkey sign-in is done with two factors', passkeyMethod(), policy, { kind: 'done', multiFactor: true }],
  ['row 6: a passkey sign-in satisfies a passkey role', passkeyMethod(['staff']), passkeyPolicy, { kind: 'done', multiFactor: true }],
  ['row 6: a passkey sign-in satisfies acr_values loa:3', passkeyMethod(), loa3Policy, { kind: 'done', multiFactor: true }],
  ['row 6b: trusted upstream MFA is not phishing-resistant: a passkey role still asks for the passkey', trustedUpstream(1), passkeyPolicy, { kind: 'passkey_only', reason: 'role', available: true }],
  ['row 6b: …and says none is available when the user has none', trustedUpstream(0), passkeyPolicy, { kind: 'passkey_only', reason: 'role', available: false }],
  ['row 6b: password with TOTP only, passkey role: passkey only, none available', password({ enrolled: true, passkeys: 0 }, ['staff']), passkeyPolicy, { kind: 'passkey_only', reason: 'role', available: false }],
  ['row 6b: password with two passkeys, passkey role: passkey only, available', password({ enrolled: true, passkeys: 2 }, ['staff']), passkeyPolicy, { kind: 'passkey_only', reason: 'role', available: true }],
  ['row 6b: password, acr_values loa:3, one passkey: passkey only (acr)', password({ enrolled: true, passkeys: 1 }), loa3Policy, { kind: 'passkey_only', reason: 'acr', available: true }],
  ['row 6b: password, acr_values loa:3, no factor: passkey only (acr), none available — never a TOTP enrolment', password({ enrolled: false, passkeys: 0 }), loa3Policy, { kind: 'passkey_only', reason: 'acr', available: false }],
  ['row 7: password with a passkey and no loa:3 demand: verify (passkey or TOTP)', password({ enrolled: true, passkeys: 1 }), passkeyPolicy, { kind: 'verify' }],
  ['row 7: on the account pages a passkey role verifies with TOTP', password({ enrolled: true, passkeys: 0 }, ['staff']), { ...passkeyPolicy, mfa: { ...passkeyPolicy.mfa, enrolmentClient: true } }, { kind: 'verify' }],
];

for (const [name, method, facts, expected] of firstFactorPasskeyRows) {
  test(`first factor, passkeys, ${name}`, () => assert.deepEqual(decideFirstFactor({ throttle: proceed, method, policy: facts }), expected));
}
