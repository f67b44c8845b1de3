import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideConsumedRefresh } from '../../../src/tokens/index.ts';

const base = { consumedAt: 1000, now: 1005, graceSeconds: 10, successor: { value: 'child', consumed: false }, answered: true };

test('a retry of the immediate predecessor inside the window replays the successor', () => {
  assert.deepEqual(decideConsumedRefresh(base), { kind: 'replay', successorValue: 'child', reason: 'inside_grace' });
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

test('a rotation whose response never left the server is replayable whatever the window (a retry after a 5xx)', () => {
  const unanswered = { ...base, answered: false };
  assert.deepEqual(decideConsumedRefresh({ ...unanswered, now: 1000 + 86_400 }), { kind: 'replay', successorValue: 'child', reason: 'never_answered' });
  assert.equal(decideConsumedRefresh({ ...unanswered, graceSeconds: 0 }).kind, 'replay');
});

test('an unanswered rotation never revives a token two generations back or an unknown successor', () => {
  assert.deepEqual(decideConsumedRefresh({ ...base, answered: false, successor: { value: 'child', consumed: true } }), {
    kind: 'reuse',
    reason: 'not_latest_generation',
  });
  assert.deepEqual(decideConsumedRefresh({ ...base, answered: false, successor: undefined }), { kind: 'reuse', reason: 'successor_unknown' });
});
