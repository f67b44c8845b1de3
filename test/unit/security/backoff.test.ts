/** The sign-in throttle's pure rules (src/security/backoff.ts): the schedule, the counting window, the verdict table. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffSeconds, decideThrottle, failureBucket, recentFailures, type ThrottleFacts } from '../../../src/security/backoff.ts';

const policy = { freeFailures: 3, baseSeconds: 1, ceilingSeconds: 900 };

test('the backoff schedule: free attempts, then doubling from the base, capped at the ceiling', () => {
  const schedule: Array<[number, number]> = [
    [0, 0],
    [3, 0],
    [4, 1],
    [5, 2],
    [6, 4],
    [12, 256],
    [13, 512],
    [14, 900],
    [40, 900],
    [1_000_000, 900],
  ];
  for (const [failures, seconds] of schedule) assert.equal(backoffSeconds(failures, policy), seconds, `${failures} failures`);
  assert.equal(backoffSeconds(11, { freeFailures: 10, baseSeconds: 5, ceilingSeconds: 60 }), 5);
  assert.equal(backoffSeconds(14, { freeFailures: 10, baseSeconds: 5, ceilingSeconds: 60 }), 40);
  assert.equal(backoffSeconds(15, { freeFailures: 10, baseSeconds: 5, ceilingSeconds: 60 }), 60);
});

test('account-wide failures count (hour, IP) marks of the last 24 hours: they decay on their own', () => {
  const now = Date.UTC(2026, 10, 29, 12, 30);
  const hour = failureBucket(now);
  const members = [`${hour}|a`, `${hour}|b`, `${hour - 23}|a`, `${hour - 24}|c`, `${hour - 100}|d`];
  assert.equal(recentFailures(members, now), 3);
  assert.equal(recentFailures(members, now + 3600 * 1000), 2, 'an hour later the oldest mark has left the window');
  assert.equal(recentFailures([], now), 0);
});

const nowMs = 1_000_000;
const facts = (overrides: Partial<ThrottleFacts> = {}): ThrottleFacts => ({
  nowMs,
  ipBlockedSeconds: 0,
  knownDevice: undefined,
  pairBlockedSeconds: 0,
  accountFailures: 0,
  wait: undefined,
  policy: { perAccount: { freeFailures: 10, baseSeconds: 1, ceilingSeconds: 900 }, knownDeviceFailures: 10 },
  ...overrides,
});

test('throttle row 1: an IP blocked for credential stuffing is refused, known device or not', () => {
  assert.deepEqual(decideThrottle(facts({ ipBlockedSeconds: 3000, knownDevice: { failures: 0 } })), { kind: 'refused', dimension: 'ip', retryAfter: 3000 });
});

test('throttle row 2: a known device within its budget proceeds through any account-wide attack and (account, IP) block', () => {
  assert.deepEqual(decideThrottle(facts({ knownDevice: { failures: 9 }, pairBlockedSeconds: 60, accountFailures: 5000 })), { kind: 'proceed', redeemWait: false });
  assert.equal(decideThrottle(facts({ knownDevice: { failures: 10 }, pairBlockedSeconds: 60 })).kind, 'refused', 'past its budget it is any browser');
});

test('throttle row 3: the (account, IP) backoff refuses that pair', () => {
  assert.deepEqual(decideThrottle(facts({ pairBlockedSeconds: 16 })), { kind: 'refused', dimension: 'account_ip', retryAfter: 16 });
});

test('throttle row 4: account-wide failures within the free allowance proceed', () => {
  assert.deepEqual(decideThrottle(facts({ accountFailures: 10 })), { kind: 'proceed', redeemWait: false });
});

test('throttle row 5: a slow-down waited out proceeds (and is used up), however many failures came meanwhile', () => {
  assert.deepEqual(decideThrottle(facts({ accountFailures: 5000, wait: { notBeforeMs: nowMs } })), { kind: 'proceed', redeemWait: true });
});

test('throttle row 6: inside its slow-down a sign-in waits for the rest of it, not longer', () => {
  assert.deepEqual(decideThrottle(facts({ accountFailures: 5000, wait: { notBeforeMs: nowMs + 4_500 } })), { kind: 'wait', retryAfter: 5, notBeforeMs: nowMs + 4_500 });
});

test('throttle row 7: past the allowance a new sign-in is slowed by the backoff, never beyond the ceiling, never refused', () => {
  assert.deepEqual(decideThrottle(facts({ accountFailures: 11 })), { kind: 'wait', retryAfter: 1, notBeforeMs: nowMs + 1000 });
  assert.deepEqual(decideThrottle(facts({ accountFailures: 5000 })), { kind: 'wait', retryAfter: 900, notBeforeMs: nowMs + 900_000 });
});
