/**
 * TOTP second factor (RFC 6238, otplib) with recovery codes.
 *
 * - Secrets are sealed at rest under the key-encryption secret.
 * - ±1 time step of tolerance; a code is accepted at most once: the accepted time step is stored
 *   with a conditional update, so two parallel submissions of one code cannot both pass.
 * - Recovery codes: 10 single-use codes shown once, stored as SHA-256 digests (they are 60-bit
 *   random values; a slow hash would add nothing).
 *
 * @example
 * const { secret, uri, qrSvg } = await mfa.beginEnrolment(userId, email);
 * const recoveryCodes = await mfa.confirmEnrolment(userId, code); // show once
 * await mfa.verify(userId, code); // { ok: true, method: 'otp' | 'recovery' }
 */
import { createHash, randomInt } from 'node:crypto';
import { generateSecret, generateURI, verify as verifyTotp } from 'otplib/functional';
import { type Clock, epochSeconds } from '../clock.ts';
import { seal, unseal } from '../sealing.ts';
import type { MfaQueries } from '../storage/queries/mfa.ts';

export { decideMfa, MFA_ACR, type MfaDecision, PASSWORD_ACR } from './policy.ts';

const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'; // no look-alikes (0/o, 1/l/i)
const RECOVERY_CODE_COUNT = 10;

function recoveryCode(): string {
  const chars = Array.from({ length: 12 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]).join('');
  return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8)}`;
}

const digest = (code: string) => createHash('sha256').update(code.trim().toLowerCase()).digest('hex');

export type MfaVerification = { ok: true; method: 'otp' | 'recovery' } | { ok: false };

export function createMfaService(deps: { mfa: MfaQueries; keyEncryptionSecret: Uint8Array; clock: Clock; issuerName: string }) {
  const { mfa, clock } = deps;

  async function secretOf(userId: string): Promise<{ secret: string; confirmed: boolean } | undefined> {
    const row = await mfa.find(userId);
    if (!row) return undefined;
    return { secret: await unseal(row.secret_jwe, deps.keyEncryptionSecret), confirmed: row.confirmed_at !== null };
  }

  async function matchStep(secret: string, code: string): Promise<number | undefined> {
    if (!/^\d{6}$/.test(code.trim())) return undefined;
    const result = await verifyTotp({ secret, token: code.trim(), epoch: epochSeconds(clock), epochTolerance: 30 });
    // TOTP results carry the matched time step (the union type also covers HOTP, which does not).
    return result.valid && 'timeStep' in result ? (result.timeStep as number) : undefined;
  }

  async function newRecoveryCodes(userId: string): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, recoveryCode);
    await mfa.replaceRecoveryCodes(userId, codes.map(digest));
    return codes;
  }

  return {
    async enrolled(userId: string): Promise<boolean> {
      return (await secretOf(userId))?.confirmed ?? false;
    },

    /** A fresh secret (replacing any unconfirmed one), its otpauth:// URI and a QR code as SVG. */
    async beginEnrolment(userId: string, label: string): Promise<{ secret: string; uri: string; qrSvg: string }> {
      const secret = generateSecret();
      await mfa.savePendingSecret(userId, await seal(secret, deps.keyEncryptionSecret, 'totp-secret'));
      const uri = generateURI({ issuer: deps.issuerName, label, secret });
      // Loaded at the first enrolment, not at start (resident memory of an idle server).
      const { default: QRCode } = await import('qrcode');
      const qrSvg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
      return { secret, uri, qrSvg };
    },

    /** The first valid code turns MFA on; returns the recovery codes, to be shown once. */
    async confirmEnrolment(userId: string, code: string): Promise<string[] | undefined> {
      const pending = await secretOf(userId);
      if (!pending || pending.confirmed) return undefined;
      const step = await matchStep(pending.secret, code);
      if (step === undefined || !(await mfa.confirm(userId, clock.now(), step))) return undefined;
      return newRecoveryCodes(userId);
    },

    /** A TOTP code (each time step at most once) or an unused recovery code. */
    async verify(userId: string, code: string): Promise<MfaVerification> {
      const current = await secretOf(userId);
      if (!current?.confirmed) return { ok: false };
      const step = await matchStep(current.secret, code);
      if (step !== undefined) return (await mfa.useStep(userId, step)) ? { ok: true, method: 'otp' } : { ok: false };
      if (/^[a-z0-9]{4}-?[a-z0-9]{4}-?[a-z0-9]{4}$/i.test(code.trim())) {
        const normalized = code.trim().toLowerCase().replace(/-/g, '').replace(/^(.{4})(.{4})(.{4})$/, '$1-$2-$3');
        if (await mfa.useRecoveryCode(userId, digest(normalized), clock.now())) return { ok: true, method: 'recovery' };
      }
      return { ok: false };
    },

    regenerateRecoveryCodes: (userId: string) => newRecoveryCodes(userId),
    unusedRecoveryCodes: (userId: string) => mfa.unusedRecoveryCodes(userId),
    /** Turns MFA off (the caller has checked password + code, or is an admin). */
    remove: (userId: string) => mfa.remove(userId),
  };
}

export type MfaService = ReturnType<typeof createMfaService>;
