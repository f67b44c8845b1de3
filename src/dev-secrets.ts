/**
 * Development and embedded mode only: secrets generated once into the keys folder (0600) so a
 * newcomer needs no setup. Production never gets here; config.ts refuses to start without them.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config.ts';
import type { Secrets } from './services.ts';

function readOrCreate(dir: string, name: string, create: () => string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, name);
  if (!existsSync(path)) {
    writeFileSync(path, `${create()}\n`, { mode: 0o600, flag: 'wx' });
  }
  chmodSync(path, 0o600);
  return readFileSync(path, 'utf8').trim();
}

export function developmentSecrets(keysDir: string): { keyEncryptionSecret: Uint8Array; cookieKeys: string[] } {
  const kek = readOrCreate(keysDir, 'key-encryption-secret', () => randomBytes(32).toString('base64url'));
  const cookieKeys = readOrCreate(keysDir, 'cookie-keys', () => randomBytes(32).toString('base64url'));
  return {
    keyEncryptionSecret: new Uint8Array(Buffer.from(kek, 'base64url')),
    cookieKeys: cookieKeys.split(',').filter(Boolean),
  };
}

/** The configured secrets; outside production, whatever is missing comes from the keys folder. */
export function resolveSecrets(config: Config): Secrets {
  if (config.keyEncryptionSecret && config.cookieKeys) {
    return { keyEncryptionSecret: config.keyEncryptionSecret, cookieKeys: config.cookieKeys };
  }
  const generated = developmentSecrets(config.keysDir);
  return {
    keyEncryptionSecret: config.keyEncryptionSecret ?? generated.keyEncryptionSecret,
    cookieKeys: config.cookieKeys ?? generated.cookieKeys,
  };
}
