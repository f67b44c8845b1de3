/**
 * Secrets at rest (private signing keys, TOTP secrets) are sealed as compact JWE (`dir` +
 * A256GCM, jose) under the key-encryption secret: authenticated encryption, no hand-rolled crypto.
 */
import { CompactEncrypt, compactDecrypt } from 'jose';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export async function seal(plaintext: string, secret: Uint8Array, contentType: string): Promise<string> {
  return new CompactEncrypt(encoder.encode(plaintext)).setProtectedHeader({ alg: 'dir', enc: 'A256GCM', cty: contentType }).encrypt(secret);
}

export async function unseal(jwe: string, secret: Uint8Array): Promise<string> {
  const { plaintext } = await compactDecrypt(jwe, secret);
  return decoder.decode(plaintext);
}
