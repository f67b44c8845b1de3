/**
 * The attacker's (and the test's) software authenticator: an EC P-256 key made with node:crypto
 * that answers WebAuthn ceremonies with whatever origin, RP ID, flags and counter the test says —
 * the tool for the negative tests over HTTP. Test-only: product code never builds assertions.
 */
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

const b64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

export interface Ceremony {
  challenge: string;
  origin: string;
  rpId: string;
}

export class SoftAuthenticator {
  readonly #key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  readonly credentialId = randomBytes(16);
  counter = 0;
  /** The user handle the relying party gave at registration (answered back in assertions). */
  userHandle: string | undefined;

  get id() {
    return b64url(this.credentialId);
  }

  #coseKey(): Uint8Array {
    const jwk = this.#key.publicKey.export({ format: 'jwk' }) as { x: string; y: string };
    return isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, new Uint8Array(Buffer.from(jwk.x, 'base64url'))],
        [-3, new Uint8Array(Buffer.from(jwk.y, 'base64url'))],
      ]),
    );
  }

  #authData(rpId: string, flags: number, counter: number, attested?: Uint8Array): Buffer {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), count, ...(attested ? [attested] : [])]);
  }

  /** A `none` attestation (navigator.credentials.create's answer) for registration options. */
  register(ceremony: Ceremony & { userHandle?: string }) {
    this.userHandle = ceremony.userHandle;
    const clientDataJSON = JSON.stringify({ type: 'webauthn.create', challenge: ceremony.challenge, origin: ceremony.origin, crossOrigin: false });
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    const attested = Buffer.concat([Buffer.alloc(16), idLength, this.credentialId, this.#coseKey()]);
    const authData = this.#authData(ceremony.rpId, FLAG_UP | FLAG_UV | FLAG_AT, this.counter, attested);
    const attestationObject = isoCBOR.encode(new Map<string, unknown>([['fmt', 'none'], ['attStmt', new Map()], ['authData', new Uint8Array(authData)]]) as never);
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      clientExtensionResults: {},
      response: { clientDataJSON: b64url(clientDataJSON), attestationObject: b64url(attestationObject), transports: ['internal'] },
    };
  }

  /** An assertion (navigator.credentials.get's answer); `counter` defaults to one more than the last. */
  assert(ceremony: Ceremony & { userVerified?: boolean; counter?: number }) {
    this.counter = ceremony.counter ?? this.counter + 1;
    const clientDataJSON = JSON.stringify({ type: 'webauthn.get', challenge: ceremony.challenge, origin: ceremony.origin, crossOrigin: false });
    const authData = this.#authData(ceremony.rpId, FLAG_UP | (ceremony.userVerified === false ? 0 : FLAG_UV), this.counter);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), this.#key.privateKey);
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        ...(this.userHandle ? { userHandle: this.userHandle } : {}),
      },
    };
  }
}
