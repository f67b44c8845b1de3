import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { guessableSecretReason } from '../../src/secret-strength.ts';

test('secrets with no entropy are named for what is wrong with them', () => {
  for (const [value, reason] of [
    [new Uint8Array(32), /one byte repeated/],
    [Buffer.alloc(32, 0xff), /one byte repeated/],
    ['a'.repeat(40), /one character repeated/],
    ['ab'.repeat(20), /short pattern/],
    [`${randomBytes(8).toString('hex')}`.repeat(2), /short pattern/],
    [Buffer.from([...Array(32).keys()]), /short pattern/],
    ['0123456789abcdefghijklmnopqrstuvwxyz', /one run/],
    [`${'a'.repeat(31)}b`, /one run/],
    ['abbaabababbbaabbabababbbaaababab', /2 distinct/],
    [Buffer.from('this is exactly thirty-two bytes'), /typed text/],
    ['please-change-me-before-going-live-1234', /placeholder word "change-me"/],
    ['my-example-cookie-key-0123456789xyz', /placeholder word "example"/],
  ] as const) {
    assert.match(guessableSecretReason(value) ?? 'accepted', reason, `${typeof value === 'string' ? value : 'bytes'}`);
  }
});

test('values from openssl rand (the documented way) are accepted', () => {
  // 20,000 of each shape: a false refusal here would be a start-up failure for an operator.
  for (let i = 0; i < 20_000; i += 1) {
    assert.equal(guessableSecretReason(randomBytes(32)), undefined, 'openssl rand 32 (decoded bytes)');
    assert.equal(guessableSecretReason(randomBytes(32).toString('hex')), undefined, 'openssl rand -hex 32');
    assert.equal(guessableSecretReason(randomBytes(16).toString('hex')), undefined, 'the shortest hex cookie key (32 characters)');
    assert.equal(guessableSecretReason(randomBytes(32).toString('base64')), undefined, 'openssl rand -base64 32');
  }
});

test('the reason never repeats the secret', () => {
  const secret = 'my-secret-cookie-key-value-that-must-not-leak';
  assert.ok(!(guessableSecretReason(secret) ?? '').includes(secret));
});
