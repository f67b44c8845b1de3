import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkPeriodSeconds, isDue, JITTER, jittered, MAX_CHECK_PERIOD_SECONDS } from '../../../src/jobs/schedule.ts';

const now = new Date('2026-11-29T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000);

test('a cluster job is due when it never succeeded, or its last success is one interval old', () => {
  const table: Array<[lastSuccess: Date | null | undefined, due: boolean, why: string]> = [
    [undefined, true, 'never ran'],
    [null, true, 'ran, never succeeded'],
    [ago(3599), false, 'one second short of the interval'],
    [ago(3600), true, 'exactly one interval'],
    [ago(86_400), true, 'long overdue (no instance ran it)'],
    [ago(-60), false, 'a success in the future (another instance’s clock is ahead)'],
  ];
  for (const [lastSuccess, due, why] of table) assert.equal(isDue(lastSuccess, 3600, now), due, why);
});

test('cluster jobs are checked at least every few minutes; instance jobs run on their interval', () => {
  const table: Array<[scope: 'cluster' | 'instance', interval: number, period: number]> = [
    ['cluster', 3600, MAX_CHECK_PERIOD_SECONDS],
    ['cluster', 86_400, MAX_CHECK_PERIOD_SECONDS],
    ['cluster', 60, 60],
    ['instance', 5, 5],
    ['instance', 3600, 3600],
  ];
  for (const [scope, interval, period] of table) assert.equal(checkPeriodSeconds(scope, interval), period, `${scope} every ${interval} s`);
});

test('jitter stays within ±10 % and covers the range; never zero', () => {
  const table: Array<[random: number, ms: number]> = [
    [0, 900],
    [0.5, 1000],
    [0.999_999, 1100],
  ];
  for (const [random, ms] of table) assert.equal(jittered(1000, () => random), ms, `random ${random}`);
  assert.equal(JITTER, 0.1);
  assert.equal(jittered(0, () => 0), 1, 'a zero interval still yields to the event loop');
});
