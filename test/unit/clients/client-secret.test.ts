import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateClientSecret, hashClientSecret } from '../../../src/clients/client-secret.ts';
import { clientSecretMatches } from '../../../src/clients/index.ts';

test('client secrets are 256-bit random values stored only as SHA-256 digests', () => {
  const secret = generateClientSecret();
  assert.equal(Buffer.from(secret, 'base64url').length, 32);
  const stored = hashClientSecret(secret);
  assert.ok(!stored.includes(secret));
  assert.equal(clientSecretMatches(stored, secret), true);
  assert.equal(clientSecretMatches(stored, `${secret}x`), false);
  assert.equal(clientSecretMatches(stored, ''), false);
});

test('a stored value without the digest prefix (e.g. a plaintext secret) never matches', () => {
  assert.equal(clientSecretMatches('plaintext', 'plaintext'), false);
  assert.equal(clientSecretMatches(undefined, 'x'), false);
});
