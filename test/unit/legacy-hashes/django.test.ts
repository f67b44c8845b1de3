import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyDjangoHash, verifyDjangoHash } from '../../../src/legacy-hashes/django.ts';

/**
 * Hashes made by Django 3.2's own hashers (make_password) for PASSWORD, except scrypt: Debian's
 * Django predates its ScryptPasswordHasher, so that one was made with Python's hashlib.scrypt in
 * Django 4.2's format (scrypt$n$salt$r$p$base64, 64-byte key).
 */
const PASSWORD = 'correct horse – ünïcode';
const DJANGO_HASHES = {
  pbkdf2_sha256: 'pbkdf2_sha256$260000$DIKmaMhHykSikomDGSPC7b$PXB88RUKgpUYHTn1zvwHgsmPM3s+kspw3p1mXVThH2o=',
  pbkdf2_sha1: 'pbkdf2_sha1$260000$mh4t4mNwx7XDC0R7P3OwOm$Brff4SMA41joO1saykg6KTP9EPA=',
  argon2: 'argon2$argon2id$v=19$m=102400,t=2,p=8$WENGbG5ZTXFTSUdodmhkRXVCaWgybg$KjeDiCopA+zqyF2Zl4oz2A',
  bcrypt_sha256: 'bcrypt_sha256$$2b$12$S10/pDf68GU6heNig5cxsuCfbpgcCe.KQhK7CeIJuEKqKL4cfLwk6',
  bcrypt: 'bcrypt$$2b$12$2qexspYE5TiM.4TkON8hO.Qyq6dyw45mcnZ0JXkirkBsAqYT4oFmu',
  scrypt: 'scrypt$16384$abcdefghijklmnop$8$1$USJmBc/tsbitLn03rUEL6h8Ydc1glj7hx9XCJGtveDyGFSHxdtf6mQa75TyNY4twTlB7NBxk02/5ifixM/J9Tg==',
} as const;

for (const [algorithm, encoded] of Object.entries(DJANGO_HASHES)) {
  test(`a Django ${algorithm} hash accepts its password and refuses a near miss`, async () => {
    assert.deepEqual(classifyDjangoHash(encoded), { kind: 'supported', algorithm });
    assert.equal(await verifyDjangoHash(encoded, PASSWORD), true);
    assert.equal(await verifyDjangoHash(encoded, `${PASSWORD} `), false);
    assert.equal(await verifyDjangoHash(encoded, PASSWORD.normalize('NFD')), false, 'bytes, not look-alikes');
  });
}

test('a tampered hash value never verifies', async () => {
  const tampered = DJANGO_HASHES.pbkdf2_sha256.replace('PXB8', 'PXB9');
  assert.equal(await verifyDjangoHash(tampered, PASSWORD), false);
  const fewerIterations = DJANGO_HASHES.pbkdf2_sha256.replace('$260000$', '$1$');
  assert.equal(await verifyDjangoHash(fewerIterations, PASSWORD), false);
});

test('MD5, SHA-1 and crypt hashes are recognised and refused, whatever the password', async () => {
  const weak = {
    md5: 'md5$uXnE3eKHurijMF3xBq0oXn$a78a7d7f3eaae9dd1572230e65092dcb',
    unsalted_md5: '4825c369ad90221120917e1121d4f4a5',
    unsalted_sha1: `sha1$$${'a'.repeat(40)}`,
    sha1: `sha1$salt$${'b'.repeat(40)}`,
    crypt: 'crypt$$ab.abcdefghijk',
  };
  for (const [algorithm, encoded] of Object.entries(weak)) {
    assert.deepEqual(classifyDjangoHash(encoded), { kind: 'unsupported', algorithm, reason: 'weak' });
    assert.equal(await verifyDjangoHash(encoded, PASSWORD), false);
  }
});

test('unusable passwords, unknown algorithms and malformed or absurdly expensive hashes are classified, not verified', async () => {
  assert.deepEqual(classifyDjangoHash('!Zb3kq9'), { kind: 'unusable' });
  assert.deepEqual(classifyDjangoHash(''), { kind: 'unusable' });
  assert.deepEqual(classifyDjangoHash('sha512_custom$1$2'), { kind: 'unsupported', algorithm: 'sha512_custom', reason: 'unknown' });
  assert.deepEqual(classifyDjangoHash('pbkdf2_sha256$abc$salt$hash'), { kind: 'unsupported', algorithm: 'pbkdf2_sha256', reason: 'malformed' });
  const tooManyIterations = 'pbkdf2_sha256$999999999$salt$PXB88RUKgpUYHTn1zvwHgsmPM3s+kspw3p1mXVThH2o=';
  assert.equal(classifyDjangoHash(tooManyIterations).kind, 'unsupported');
  const tooMuchMemory = `scrypt$${2 ** 30}$salt$8$1$${'A'.repeat(88)}`;
  assert.equal(classifyDjangoHash(tooMuchMemory).kind, 'unsupported');
  assert.equal(await verifyDjangoHash('argon2$argon2id$v=19$m=102400,t=2,p=8$bad', PASSWORD), false);
});
