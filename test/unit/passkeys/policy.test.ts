/** The passkey rules of src/passkeys/policy.ts, row by row: the signature counter, `amr`, loa:3 methods. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CounterVerdict, hasPasskey, judgeCounter, passkeyAmr } from '../../../src/passkeys/policy.ts';

const counters: Array<[string, number, number, CounterVerdict]> = [
  ['row 1: an authenticator that does not count (0 → 0, synced passkeys)', 0, 0, 'ok'],
  ['row 2: moved forward by one', 10, 11, 'ok'],
  ['row 2: moved forward by a jump (used elsewhere meanwhile is still forward)', 10, 5000, 'ok'],
  ['row 3: the same value again (a replayed authenticator state)', 10, 10, 'regressed'],
  ['row 3: went backwards (a clone)', 10, 5, 'regressed'],
  ['row 3: a counting authenticator now says 0', 7, 0, 'regressed'],
  ['row 4: started counting (0 → 1)', 0, 1, 'ok'],
];

for (const [name, stored, received, verdict] of counters) {
  test(`judgeCounter, ${name}: ${stored} → ${received} is ${verdict}`, () => assert.equal(judgeCounter(stored, received), verdict));
}

const amrs: Array<[string, { backedUp: boolean; userVerified: boolean }, string[]]> = [
  ['a device-bound key, user verified', { backedUp: false, userVerified: true }, ['hwk', 'user']],
  ['a synced passkey, user verified', { backedUp: true, userVerified: true }, ['swk', 'user']],
  ['a device-bound key, presence only', { backedUp: false, userVerified: false }, ['hwk']],
  ['a synced passkey, presence only', { backedUp: true, userVerified: false }, ['swk']],
];

for (const [name, assertion, amr] of amrs) {
  test(`passkeyAmr: ${name} → ${JSON.stringify(amr)}`, () => assert.deepEqual(passkeyAmr(assertion), amr));
}

const methods: Array<[string[], boolean]> = [
  [['pwd', 'hwk', 'user'], true],
  [['swk', 'user', 'mfa'], true],
  [['pwd', 'otp'], false],
  [['pwd'], false],
  [[], false],
];

for (const [amr, passkey] of methods) {
  test(`hasPasskey: ${JSON.stringify(amr)} → ${passkey}`, () => assert.equal(hasPasskey(amr), passkey));
}
