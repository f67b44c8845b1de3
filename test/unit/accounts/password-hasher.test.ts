import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPasswordHasher } from '../../../src/accounts/index.ts';
import { loadConfig } from '../../../src/config.ts';

test('production hashing is argon2id at the OWASP parameters (m=19 MiB, t=2, p=1), carried in the hash', async () => {
  const hasher = createPasswordHasher(loadConfig({}).passwordHashing);
  const hash = await hasher.hash('correct horse battery staple');
  const [, algorithm, , parameters] = hash.split('$');
  assert.equal(algorithm, 'argon2id');
  assert.deepEqual(Object.fromEntries(parameters!.split(',').map((pair) => pair.split('='))), { m: '19456', t: '2', p: '1' });
  assert.equal(await hasher.verify(hash, 'correct horse battery staple'), true);
  assert.equal(await hasher.verify(hash, 'correct horse battery stapl'), false);
});

test('a hash made with weaker parameters is flagged for rehashing', async () => {
  const weak = await createPasswordHasher({ memoryKib: 1024, timeCost: 1 }).hash('x'.repeat(12));
  const current = createPasswordHasher({ memoryKib: 19_456, timeCost: 2 });
  assert.equal(current.needsRehash(weak), true);
  assert.equal(current.needsRehash(await current.hash('y'.repeat(12))), false);
});

test('a corrupt stored hash verifies as false instead of throwing', async () => {
  assert.equal(await createPasswordHasher({ memoryKib: 1024, timeCost: 1 }).verify('not-a-hash', 'pw'), false);
});

test('an imported Django hash verifies, is flagged for rehashing, and names its scheme; an unusable one never verifies', async () => {
  const hasher = createPasswordHasher({ memoryKib: 1024, timeCost: 1 });
  // Made by Django 3.2's make_password('correct horse – ünïcode', hasher='pbkdf2_sha256').
  const django = 'pbkdf2_sha256$260000$DIKmaMhHykSikomDGSPC7b$PXB88RUKgpUYHTn1zvwHgsmPM3s+kspw3p1mXVThH2o=';
  assert.equal(await hasher.verify(django, 'correct horse – ünïcode'), true);
  assert.equal(await hasher.verify(django, 'correct horse'), false);
  assert.equal(hasher.needsRehash(django), true);
  assert.equal(hasher.scheme(django), 'django:pbkdf2_sha256');
  for (const unusable of ['!django-refused:md5', '!django-unusable', 'md5$salt$0123456789abcdef0123456789abcdef']) {
    assert.equal(hasher.scheme(unusable), 'unusable');
    assert.equal(await hasher.verify(unusable, 'anything'), false);
  }
});
