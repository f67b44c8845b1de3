/** decideMfa (src/mfa/policy.ts): when a sign-in needs a second factor, row by row. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideMfa, MFA_ACR } from '../../../src/mfa/policy.ts';

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
