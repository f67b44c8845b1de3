import type { JWK } from 'jose';
import { seal, unseal } from '../sealing.ts';

/** Private JWKs are sealed under the key-encryption secret (see sealing.ts). */
export async function sealPrivateJwk(jwk: JWK, secret: Uint8Array): Promise<string> {
  return seal(JSON.stringify(jwk), secret, 'jwk+json');
}

export async function openPrivateJwk(jwe: string, secret: Uint8Array): Promise<JWK> {
  return JSON.parse(await unseal(jwe, secret)) as JWK;
}
