import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accountDigest, decodeDeviceClaims, encodeDeviceClaims, knownDeviceFor, rememberDevice } from '../../../src/sign-in/known-device.ts';
import { readSignInState } from '../../../src/sign-in/state.ts';

const state = { v: 1, uid: 'uid-1', email: 'ada@example.com', stage: 'second_factor', accountId: 'a1', accountEmail: 'ada@example.com', amr: ['pwd'], factorEpoch: 2 };

test('the sign-in state is read only when well-formed and bound to this interaction', () => {
  assert.deepEqual(readSignInState(state, 'uid-1'), state);
  assert.equal(readSignInState(state, 'uid-2'), undefined, 'another interaction');
  assert.equal(readSignInState({ ...state, v: 2 }, 'uid-1'), undefined, 'another version');
  assert.equal(readSignInState({ ...state, factorEpoch: -1 }, 'uid-1'), undefined);
  assert.equal(readSignInState({ ...state, stage: 'done' }, 'uid-1'), undefined);
  assert.equal(readSignInState({ ...state, stage: 'enrol' }, 'uid-1'), undefined, 'enrol needs a reason');
  assert.equal(readSignInState(undefined, 'uid-1'), undefined);
  assert.equal(readSignInState('{"v":1}', 'uid-1'), undefined);
});

test('a device cookie names the accounts that signed in from this browser, by digest, five at most', () => {
  let claims = rememberDevice(undefined, 'Ada@Example.com ');
  assert.equal(knownDeviceFor(claims, 'ada@example.com'), claims.d, 'bound to the normalized email');
  assert.equal(knownDeviceFor(claims, 'bob@example.com'), undefined, 'not to another account');
  assert.ok(!encodeDeviceClaims(claims).includes('ada'), 'no address in clear');
  for (const n of [1, 2, 3, 4, 5]) claims = rememberDevice(claims, `user${n}@example.com`);
  assert.equal(claims.a.length, 5);
  assert.equal(knownDeviceFor(claims, 'ada@example.com'), undefined, 'the oldest account fell off');
  assert.equal(claims.a[0], accountDigest('user5@example.com'), 'most recent first');
  assert.deepEqual(decodeDeviceClaims(encodeDeviceClaims(claims)), claims);
  assert.equal(decodeDeviceClaims('not base64 json'), undefined);
  assert.equal(decodeDeviceClaims(Buffer.from('{"d":"x","a":[]}').toString('base64url')), undefined, 'a malformed device id');
});
