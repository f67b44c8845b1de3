/**
 * Password hashes made by Django's hashers (django.contrib.auth.hashers), verified natively so
 * that users moved from a Django project keep their passwords. Used for user passwords
 * (accounts/) and for django-oauth-toolkit client secrets, which DOT ≥ 2.0 hashes with the same
 * hashers (clients/). A legacy hash is only ever verified; on the first success the caller
 * replaces it with Gatehouse's own format.
 *
 * Formats, as Django writes them:
 *   pbkdf2_sha256$<iterations>$<salt>$<base64 hash>      (pbkdf2_sha1 alike, 20-byte hash)
 *   argon2$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>       (a PHC string behind "argon2")
 *   bcrypt_sha256$$2b$12$…                               (bcrypt over the hex SHA-256 of the password)
 *   bcrypt$$2b$12$…
 *   scrypt$<n>$<salt>$<r>$<p>$<base64 hash>              (Django ≥ 4.0, 64-byte hash)
 * Salted and unsalted MD5/SHA-1 and crypt are recognised and refused: they are too weak to
 * carry over, so such users go through a password reset instead.
 */
import { createHash, pbkdf2, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);
const scryptAsync = promisify(scrypt) as (password: Buffer, salt: Buffer, keylen: number, options: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

export const SUPPORTED_DJANGO_ALGORITHMS = ['pbkdf2_sha256', 'pbkdf2_sha1', 'argon2', 'bcrypt_sha256', 'bcrypt', 'scrypt'] as const;
export type SupportedDjangoAlgorithm = (typeof SUPPORTED_DJANGO_ALGORITHMS)[number];

/** What a stored Django password value is, for the import report and the verifier. */
export type DjangoHashKind =
  | { kind: 'supported'; algorithm: SupportedDjangoAlgorithm }
  /** A known but refused format (MD5, SHA-1, crypt), or a supported one that does not parse. */
  | { kind: 'unsupported'; algorithm: string; reason: 'weak' | 'unknown' | 'malformed' }
  /** Django's "unusable password" (`!…`, or empty): the user never had or lost a password. */
  | { kind: 'unusable' };

const WEAK = new Set(['md5', 'sha1', 'unsalted_md5', 'unsalted_sha1', 'crypt']);

// Upper bounds on the work a stored hash may ask for: a hash in the database must not be able to
// pin a core for minutes or allocate gigabytes (Django's defaults are far below these).
const MAX_PBKDF2_ITERATIONS = 10_000_000;
const MAX_SCRYPT_MEMORY_BYTES = 1024 * 1024 * 1024;
const MAX_ARGON2_MEMORY_KIB = 1024 * 1024;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const BCRYPT = /^\$2[aby]?\$\d{2}\$[./A-Za-z0-9]{53}$/;
const ARGON2_PHC = /^\$argon2(id|i|d)\$(v=\d+\$)?m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

interface Pbkdf2Parts {
  digest: 'sha256' | 'sha1';
  iterations: number;
  salt: string;
  hash: Buffer;
}
interface ScryptParts {
  n: number;
  r: number;
  p: number;
  salt: string;
  hash: Buffer;
}

function parsePbkdf2(encoded: string): Pbkdf2Parts | undefined {
  const [algorithm, iterations, salt, hash, extra] = encoded.split('$');
  if (extra !== undefined || !salt || !hash || !BASE64.test(hash) || !/^\d{1,9}$/.test(iterations ?? '')) return undefined;
  const count = Number(iterations);
  if (count < 1 || count > MAX_PBKDF2_ITERATIONS) return undefined;
  return { digest: algorithm === 'pbkdf2_sha1' ? 'sha1' : 'sha256', iterations: count, salt, hash: Buffer.from(hash, 'base64') };
}

function parseScrypt(encoded: string): ScryptParts | undefined {
  const [, n, salt, r, p, hash, extra] = encoded.split('$');
  if (extra !== undefined || !salt || !hash || !BASE64.test(hash)) return undefined;
  const [cost, blockSize, parallelism] = [n, r, p].map((value) => (/^\d{1,9}$/.test(value ?? '') ? Number(value) : 0)) as [number, number, number];
  // N must be a power of two above 1; memory is 128·N·r bytes per lane.
  if (cost < 2 || (cost & (cost - 1)) !== 0 || blockSize < 1 || parallelism < 1 || parallelism > 64) return undefined;
  if (128 * cost * blockSize > MAX_SCRYPT_MEMORY_BYTES) return undefined;
  return { n: cost, r: blockSize, p: parallelism, salt, hash: Buffer.from(hash, 'base64') };
}

/** Django's argon2 value is "argon2" followed by a PHC string; argon2 (the npm package) reads the PHC string. */
function argon2Phc(encoded: string): string | undefined {
  const phc = encoded.slice('argon2'.length);
  const match = ARGON2_PHC.exec(phc);
  if (!match || Number(match[3]) > MAX_ARGON2_MEMORY_KIB) return undefined;
  return phc;
}

/** The part after `bcrypt$` / `bcrypt_sha256$`: a standard bcrypt string. */
function bcryptPart(encoded: string): string | undefined {
  const data = encoded.slice(encoded.indexOf('$') + 1);
  return BCRYPT.test(data) ? data : undefined;
}

function algorithmOf(encoded: string): string {
  // Ancient Django stored bare MD5 hex digests and MD5/SHA-1 with an empty salt.
  if (/^[0-9a-f]{32}$/i.test(encoded) || (encoded.length === 37 && encoded.startsWith('md5$$'))) return 'unsalted_md5';
  if (encoded.length === 46 && encoded.startsWith('sha1$$')) return 'unsalted_sha1';
  return encoded.split('$', 1)[0] ?? '';
}

function wellFormed(algorithm: SupportedDjangoAlgorithm, encoded: string): boolean {
  switch (algorithm) {
    case 'pbkdf2_sha256':
    case 'pbkdf2_sha1':
      return parsePbkdf2(encoded) !== undefined;
    case 'scrypt':
      return parseScrypt(encoded) !== undefined;
    case 'argon2':
      return argon2Phc(encoded) !== undefined;
    case 'bcrypt':
    case 'bcrypt_sha256':
      return bcryptPart(encoded) !== undefined;
  }
}

/** Classifies a value of Django's `auth_user.password` (or a DOT `client_secret` hashed by Django). */
export function classifyDjangoHash(encoded: string): DjangoHashKind {
  if (encoded === '' || encoded.startsWith('!')) return { kind: 'unusable' };
  const algorithm = algorithmOf(encoded);
  if (WEAK.has(algorithm)) return { kind: 'unsupported', algorithm, reason: 'weak' };
  if (!(SUPPORTED_DJANGO_ALGORITHMS as readonly string[]).includes(algorithm)) {
    return { kind: 'unsupported', algorithm: algorithm.slice(0, 40) || 'unknown', reason: 'unknown' };
  }
  const supported = algorithm as SupportedDjangoAlgorithm;
  return wellFormed(supported, encoded) ? { kind: 'supported', algorithm: supported } : { kind: 'unsupported', algorithm, reason: 'malformed' };
}

/** True when `encoded` is a Django hash Gatehouse can verify. */
export function isVerifiableDjangoHash(encoded: string): boolean {
  return classifyDjangoHash(encoded).kind === 'supported';
}

const equal = (expected: Buffer, actual: Buffer) => expected.length === actual.length && timingSafeEqual(expected, actual);

/**
 * Checks `password` against a Django hash in constant time. False for a wrong password and for
 * any hash that is not one of the supported, well-formed formats (never throws).
 */
export async function verifyDjangoHash(encoded: string, password: string): Promise<boolean> {
  const kind = classifyDjangoHash(encoded);
  if (kind.kind !== 'supported') return false;
  const secret = Buffer.from(password, 'utf8');
  // Loaded at first use, outside the try (a module that fails to load is an error, not a wrong
  // password): only imported Django users need them, and bcrypt is a native module nothing else uses.
  const argon2 = kind.algorithm === 'argon2' ? (await import('argon2')).default : undefined;
  const bcrypt = kind.algorithm === 'bcrypt' || kind.algorithm === 'bcrypt_sha256' ? (await import('bcrypt')).default : undefined;
  try {
    switch (kind.algorithm) {
      case 'pbkdf2_sha256':
      case 'pbkdf2_sha1': {
        const parts = parsePbkdf2(encoded)!;
        const derived = await pbkdf2Async(secret, Buffer.from(parts.salt, 'utf8'), parts.iterations, parts.hash.length || 1, parts.digest);
        return equal(parts.hash, derived);
      }
      case 'scrypt': {
        const parts = parseScrypt(encoded)!;
        const derived = await scryptAsync(secret, Buffer.from(parts.salt, 'utf8'), parts.hash.length || 1, {
          N: parts.n,
          r: parts.r,
          p: parts.p,
          maxmem: 256 * parts.n * parts.r + 1024 * 1024,
        });
        return equal(parts.hash, derived);
      }
      case 'argon2':
        return await argon2!.verify(argon2Phc(encoded)!, secret);
      case 'bcrypt_sha256':
        // Django hashes the password to 64 hex characters first, so long passphrases are not cut at 72 bytes.
        return await bcrypt!.compare(createHash('sha256').update(secret).digest('hex'), bcryptPart(encoded)!);
      case 'bcrypt':
        return await bcrypt!.compare(secret.toString('utf8'), bcryptPart(encoded)!);
    }
  } catch {
    return false;
  }
}
