import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sessionIsIdle } from '../../../src/sessions/activity.ts';

test('a session is idle when neither its last use nor its sign-in is within the timeout', () => {
  const base = { nowMs: 1_000_000, idleTimeoutSeconds: 60 };
  assert.equal(sessionIsIdle({ ...base, lastActivityMs: 1_000_000 - 60_000, loginTs: 0 }), false, 'exactly the timeout: still active');
  assert.equal(sessionIsIdle({ ...base, lastActivityMs: 1_000_000 - 60_001, loginTs: 0 }), true);
  assert.equal(sessionIsIdle({ ...base, lastActivityMs: undefined, loginTs: 990 }), false, 'a fresh sign-in without recorded use');
  assert.equal(sessionIsIdle({ ...base, lastActivityMs: undefined, loginTs: 900 }), true);
  assert.equal(sessionIsIdle({ ...base, lastActivityMs: 100_000, loginTs: 995 }), false, 'the later of the two counts');
  assert.equal(sessionIsIdle({ ...base, lastActivityMs: undefined, loginTs: undefined }), true, 'nothing known: idle');
});
