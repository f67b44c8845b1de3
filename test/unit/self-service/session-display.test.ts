import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deviceOf, moment, relativeTime } from '../../../src/self-service/session-display.ts';

test('a User-Agent reads as browser on system; an unknown one as nothing', () => {
  const chrome = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
  assert.deepEqual(deviceOf(chrome), { browser: 'Chrome', os: 'Linux' });
  assert.deepEqual(deviceOf('Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1'), { browser: 'Safari', os: 'iOS' });
  assert.equal(deviceOf('curl/8.0'), undefined);
  assert.equal(deviceOf(undefined), undefined);
});

test('times are relative in the page language, the exact time kept', () => {
  const now = new Date('2026-11-29T14:00:00Z');
  const twoHoursAgo = new Date('2026-11-29T12:00:00Z');
  assert.equal(relativeTime(twoHoursAgo, now, 'en'), '2 hours ago');
  assert.equal(relativeTime(twoHoursAgo, now, 'es'), 'hace 2 horas');
  assert.equal(relativeTime(twoHoursAgo, now, 'zh'), '2小时前');
  assert.equal(relativeTime(new Date('2026-11-29T13:59:40Z'), now, 'en'), 'now');
  assert.equal(relativeTime(new Date('2026-11-26T14:00:00Z'), now, 'en'), '3 days ago');
  const shown = moment(twoHoursAgo, now, 'en');
  assert.equal(shown.iso, '2026-11-29T12:00:00.000Z');
  assert.match(shown.exact, /Nov 29, 2026.*12:00.*UTC/);
});
