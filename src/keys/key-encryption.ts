import { CompactEncrypt, compactDecrypt, type JWK } from 'jose';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Private JWKs are sealed as compact JWE (`dir` + A256GCM) under the key-encryption secret. */
export async function sealPrivateJwk(jwk: JWK, secret: Uint8Array): Promise<string> {
  return new CompactEncrypt(encoder.encode(JSON.stringify(jwk)))
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', cty: 'jwk+json' })
    .encrypt(secret);
}

export async function openPrivateJwk(jwe: string, secret: Uint8Array): Promise<JWK> {
  const { plaintext } = await compactDecrypt(jwe, secret);
  return JSON.parse(decoder.decode(plaintext)) as JWK;
}
