import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideConsumedRefresh } from '../../../src/tokens/index.ts';

const base = { consumedAt: 1000, now: 1005, graceSeconds: 10, successor: { value: 'child', consumed: false } };

test('a retry of the immediate predecessor inside the window replays the successor', () => {
  assert.deepEqual(decideConsumedRefresh(base), { kind: 'replay', successorValue: 'child' });
});

test('the window edge is inclusive; one second later it is reuse', () => {
  assert.equal(decideConsumedRefresh({ ...base, now: 1010 }).kind, 'replay');
  assert.deepEqual(decideConsumedRefresh({ ...base, now: 1011 }), { kind: 'reuse', reason: 'grace_expired' });
});

test('a predecessor whose successor was already rotated is two generations back: reuse', () => {
  assert.deepEqual(decideConsumedRefresh({ ...base, successor: { value: 'child', consumed: true } }), {
    kind: 'reuse',
    reason: 'not_latest_generation',
  });
});

test('grace 0 turns the window off; an unknown successor is never trusted', () => {
  assert.deepEqual(decideConsumedRefresh({ ...base, graceSeconds: 0 }), { kind: 'reuse', reason: 'grace_disabled' });
  assert.deepEqual(decideConsumedRefresh({ ...base, successor: undefined }), { kind: 'reuse', reason: 'successor_unknown' });
});
