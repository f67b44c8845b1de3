/** decideMfa (src/mfa/policy.ts): when a sign-in needs a second factor, row by row. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideMfa, MFA_ACR, PHISHING_RESISTANT_ACR } from '../../../src/mfa/policy.ts';

const none = { enrolled: false, roles: [], requiredRoles: ['admin'], clientRequiresMfa: false, acrValues: undefined };

const rows: Array<[string, Parameters<typeof decideMfa>[0], ReturnType<typeof decideMfa>]> = [
  ['enrolled: always verify, whatever else', { ...none, enrolled: true }, { kind: 'verify' }],
  ['enrolled and every policy reason: still verify (never re-enrol)', { ...none, enrolled: true, roles: ['admin'], clientRequiresMfa: true, acrValues: MFA_ACR }, { kind: 'verify' }],
  ['a required role without a factor: enrol (role)', { ...none, roles: ['staff', 'admin'] }, { kind: 'enrol', reason: 'role' }],
  ['the role reason wins over the client and acr reasons', { ...none, roles: ['admin'], clientRequiresMfa: true, acrValues: MFA_ACR }, { kind: 'enrol', reason: 'role' }],
  ['a client registered with require_mfa: enrol (client)', { ...none, clientRequiresMfa: true, acrValues: MFA_ACR }, { kind: 'enrol', reason: 'client' }],
  ['acr_values asking for loa:2 (among others): enrol (acr)', { ...none, acrValues: `urn:gatehouse:loa:1 ${MFA_ACR}` }, { kind: 'enrol', reason: 'acr' }],
  ['acr_values asking only for loa:1: none', { ...none, acrValues: 'urn:gatehouse:loa:1' }, { kind: 'none' }],
  ['a role that is not required: none', { ...none, roles: ['staff'] }, { kind: 'none' }],
  ['no factor, no reason: none', none, { kind: 'none' }],
];

for (const [name, facts, expected] of rows) {
  test(`decideMfa: ${name}`, () => assert.deepEqual(decideMfa(facts), expected));
}

/** The passkey rows (loa:3): a role in passkeyRequiredRoles, or acr_values asking for loa:3. */
const strong = { ...none, passkeyRequiredRoles: ['staff'] };
const passkeyRows: Array<[string, Parameters<typeof decideMfa>[0], ReturnType<typeof decideMfa>]> = [
  ['row 1: a passkey role with a passkey: verify, passkey only (role)', { ...strong, roles: ['staff'], enrolled: true, hasPasskey: true }, { kind: 'verify', passkeyOnly: 'role' }],
  ['row 2: a passkey role with TOTP only: passkey required (role), TOTP does not do', { ...strong, roles: ['staff'], enrolled: true, hasPasskey: false }, { kind: 'passkey_required', reason: 'role' }],
  ['row 2: a passkey role with no factor: passkey required (role), not a TOTP enrolment', { ...strong, roles: ['staff'] }, { kind: 'passkey_required', reason: 'role' }],
  ['row 1: acr_values loa:3 with a passkey: verify, passkey only (acr)', { ...none, acrValues: PHISHING_RESISTANT_ACR, enrolled: true, hasPasskey: true }, { kind: 'verify', passkeyOnly: 'acr' }],
  ['row 2: acr_values loa:3 with TOTP only: passkey required (acr)', { ...none, acrValues: `${MFA_ACR} ${PHISHING_RESISTANT_ACR}`, enrolled: true }, { kind: 'passkey_required', reason: 'acr' }],
  ['the role reason wins over acr_values loa:3', { ...strong, roles: ['staff'], acrValues: PHISHING_RESISTANT_ACR, hasPasskey: true, enrolled: true }, { kind: 'verify', passkeyOnly: 'role' }],
  ['row 3: a passkey user with no loa:3 demand: verify with any factor', { ...none, enrolled: true, hasPasskey: true }, { kind: 'verify' }],
  ['row 3: on the account pages the passkey role does not apply: TOTP verifies', { ...strong, roles: ['staff'], enrolled: true, enrolmentClient: true }, { kind: 'verify' }],
  ['row 5: on the account pages, a passkey role with no factor and no loa:2 reason: none', { ...strong, roles: ['staff'], enrolmentClient: true }, { kind: 'none' }],
  ['row 2: on the account pages acr_values loa:3 still asks for a passkey', { ...none, acrValues: PHISHING_RESISTANT_ACR, enrolmentClient: true }, { kind: 'passkey_required', reason: 'acr' }],
];

for (const [name, facts, expected] of passkeyRows) {
  test(`decideMfa, passkeys: ${name}`, () => assert.deepEqual(decideMfa(facts), expected));
}
