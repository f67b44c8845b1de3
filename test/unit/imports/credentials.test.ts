import assert from 'node:assert/strict';
import { test } from 'node:test';
import { credentialFingerprint, decideCredential } from '../../../src/imports/django/credentials.ts';

const DJANGO_HASH = 'pbkdf2_sha256$260000$salt$hash=';

test('a re-run leaves a credential alone when Django did not change it, whatever Gatehouse did since', () => {
  const fingerprint = credentialFingerprint(DJANGO_HASH, DJANGO_HASH);
  assert.deepEqual(decideCredential(fingerprint, DJANGO_HASH, DJANGO_HASH), { kind: 'unchanged' });
  assert.deepEqual(decideCredential(fingerprint, DJANGO_HASH, '$argon2id$v=19$…'), { kind: 'unchanged' }, 'an upgraded hash is never put back');
});

test('a credential changed in Django replaces the imported one, unless Gatehouse replaced it too', () => {
  const fingerprint = credentialFingerprint(DJANGO_HASH, DJANGO_HASH);
  const newDjangoHash = 'pbkdf2_sha256$260000$salt2$other=';
  assert.deepEqual(decideCredential(fingerprint, newDjangoHash, DJANGO_HASH), { kind: 'replace' });
  assert.deepEqual(decideCredential(fingerprint, newDjangoHash, '$argon2id$v=19$…'), { kind: 'keep_gatehouse' });
});

test('the fingerprint holds digests only, never the credential', () => {
  const fingerprint = credentialFingerprint('plain-dot-secret', 'sha256:abc');
  assert.ok(!fingerprint.includes('plain-dot-secret'));
  assert.match(fingerprint, /^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);
});
