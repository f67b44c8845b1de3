import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lookupOrder, opaqueTokenBits } from '../../../src/oidc/introspection.ts';

const ofLength = (length: number) => 'x'.repeat(length);

test('each opaque token kind has its own length, so its shape names one store', () => {
  const lengths = ['AccessToken', 'ClientCredentials', 'RefreshToken'].map((kind) => Math.ceil(opaqueTokenBits(kind) / 6));
  assert.deepEqual(lengths, [43, 44, 64]);
  assert.equal(opaqueTokenBits('AuthorizationCode'), 256, 'other kinds keep oidc-provider’s default');
});

test('the shape decides the one lookup; the other stores only on a miss', () => {
  assert.deepEqual(lookupOrder(ofLength(43), undefined), { first: ['AccessToken'], rest: ['ClientCredentials', 'RefreshToken'] });
  assert.deepEqual(lookupOrder(ofLength(44), undefined), { first: ['ClientCredentials'], rest: ['AccessToken', 'RefreshToken'] });
  assert.deepEqual(lookupOrder(ofLength(64), undefined), { first: ['RefreshToken'], rest: ['AccessToken', 'ClientCredentials'] });
  assert.deepEqual(lookupOrder(ofLength(44), 'access_token').first, ['ClientCredentials'], 'a hint that agrees changes nothing');
});

test('a hint that disagrees with the shape is honoured first (tokens issued before the lengths differed)', () => {
  assert.deepEqual(lookupOrder(ofLength(43), 'refresh_token'), { first: ['RefreshToken'], rest: ['AccessToken', 'ClientCredentials'] });
  assert.deepEqual(lookupOrder(ofLength(64), 'access_token'), { first: ['AccessToken', 'ClientCredentials'], rest: ['RefreshToken'] });
  assert.deepEqual(lookupOrder(ofLength(10), 'refresh_token').first, ['RefreshToken']);
  assert.deepEqual(lookupOrder(ofLength(10), undefined).first, ['AccessToken'], 'an unknown shape without hint: the common case first');
});
