/**
 * Secrets at rest (private signing keys, TOTP secrets) are sealed as compact JWE (`dir` +
 * A256GCM, jose) under the key-encryption secret: authenticated encryption, no hand-rolled crypto.
 */

import { lazyImport } from './lazy-import.ts';

/** jose, loaded at the first seal or unseal: the CLI lists the route records that import this module without sealing anything. */
const loadJose = lazyImport(() => import('jose'));

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export async function seal(plaintext: string, secret: Uint8Array, contentType: string): Promise<string> {
  const { CompactEncrypt } = await loadJose();
  return new CompactEncrypt(encoder.encode(plaintext)).setProtectedHeader({ alg: 'dir', enc: 'A256GCM', cty: contentType }).encrypt(secret);
}

export async function unseal(jwe: string, secret: Uint8Array): Promise<string> {
  const { compactDecrypt } = await loadJose();
  const { plaintext } = await compactDecrypt(jwe, secret);
  return decoder.decode(plaintext);
}
