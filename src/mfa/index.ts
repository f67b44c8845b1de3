/**
 * TOTP second factor (RFC 6238, otplib) with recovery codes.
 *
 * - Secrets are sealed at rest under the key-encryption secret.
 * - ±1 time step of tolerance; a code is accepted at most once: the accepted time step is stored
 *   with a conditional update, so two parallel submissions of one code cannot both pass.
 * - Recovery codes: 10 single-use codes shown once, stored as SHA-256 digests (they are 60-bit
 *   random values; a slow hash would add nothing).
 * - A confirmed factor is never overwritten by an enrolment in progress: pending secrets live in
 *   their own rows, each started from the user's factor *epoch* (how many times the factor has
 *   changed). Confirming one is a compare-and-set on that epoch, so an enrolment started before
 *   any other change (another enrolment, a replacement, a removal) can no longer complete.
 * - Every change (enrolled, replaced, removed — by the user or an admin) is reported through
 *   `onChange`, which mails the owner (wired in services.ts).
 *
 * @example
 * const { epoch } = await mfa.factor(userId);
 * const enrolment = await mfa.beginEnrolment(userId, email, epoch); // { id, secret, uri, qrSvg }
 * const outcome = await mfa.confirmEnrolment(userId, enrolment.id, code); // recovery codes once
 * await mfa.verify(userId, code); // { ok: true, method: 'otp' | 'recovery' }
 */

import { createHash, randomBytes, randomInt } from 'node:crypto';
import { type Clock, epochSeconds } from '../clock.ts';
import { lazyImport } from '../lazy-import.ts';
import { seal, unseal } from '../sealing.ts';
import type { MfaQueries } from '../storage/queries/mfa.ts';

/** otplib, loaded at the first TOTP check or enrolment (resident memory of an idle server). */
const loadOtplib = lazyImport(() => import('otplib/functional'));

export { acrOf, acrSatisfies, decideMfa, MFA_ACR, type MfaDecision, type MfaFacts, PASSWORD_ACR, PHISHING_RESISTANT_ACR } from './policy.ts';

const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'; // no look-alikes (0/o, 1/l/i)
const RECOVERY_CODE_COUNT = 10;
/** Long enough to find the phone and scan; an abandoned enrolment is swept after this. */
const ENROLMENT_TTL_SECONDS = 15 * 60;

function recoveryCode(): string {
  const chars = Array.from({ length: 12 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]).join('');
  return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8)}`;
}

const digest = (code: string) => createHash('sha256').update(code.trim().toLowerCase()).digest('hex');

export type MfaVerification = { ok: true; method: 'otp' | 'recovery' } | { ok: false };

/** What the user has now: a confirmed factor or not, and how many times it has changed. */
export interface FactorState {
  /** Any confirmed factor: a TOTP authenticator or a passkey. */
  enrolled: boolean;
  totp: boolean;
  passkeys: number;
  epoch: number;
}

export interface Enrolment {
  id: string;
  secret: string;
  uri: string;
  qrSvg: string;
}

export type EnrolmentOutcome =
  | { kind: 'confirmed'; replaced: boolean; recoveryCodes: string[]; /** the factor epoch this confirmation created */ epoch: number }
  /** The code does not match this enrolment's secret: nothing changed, the same secret stays. */
  | { kind: 'mismatch' }
  /** The enrolment expired, or the factor changed since it began: start again. */
  | { kind: 'stale' };

export type FactorChange = { kind: 'enrolled' | 'replaced' | 'removed'; userId: string };

export function createMfaService(deps: {
  mfa: MfaQueries;
  keyEncryptionSecret: Uint8Array;
  clock: Clock;
  issuerName: string;
  onChange?: (change: FactorChange) => Promise<void> | void;
}) {
  const { mfa, clock } = deps;
  const changed = async (change: FactorChange) => {
    await deps.onChange?.(change);
  };

  async function matchStep(secret: string, code: string): Promise<number | undefined> {
    if (!/^\d{6}$/.test(code.trim())) return undefined;
    const { verify: verifyTotp } = await loadOtplib();
    const result = await verifyTotp({ secret, token: code.trim(), epoch: epochSeconds(clock), epochTolerance: 30 });
    // TOTP results carry the matched time step (the union type also covers HOTP, which does not).
    return result.valid && 'timeStep' in result ? (result.timeStep as number) : undefined;
  }

  async function present(id: string, secret: string, label: string): Promise<Enrolment> {
    const { generateURI } = await loadOtplib();
    const uri = generateURI({ issuer: deps.issuerName, label, secret });
    // Loaded at the first enrolment, not at start (resident memory of an idle server).
    const { default: QRCode } = await import('qrcode');
    const qrSvg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
    return { id, secret, uri, qrSvg };
  }

  const newRecoveryCodes = () => Array.from({ length: RECOVERY_CODE_COUNT }, recoveryCode);

  return {
    async factor(userId: string): Promise<FactorState> {
      const { totp, passkeys, epoch } = await mfa.factorFacts(userId);
      return { enrolled: totp || passkeys > 0, totp, passkeys, epoch };
    },

    /** Whether a TOTP authenticator is set up (passkeys are counted by factor()). */
    async enrolled(userId: string): Promise<boolean> {
      return (await mfa.find(userId)) !== undefined;
    },

    /**
     * A new pending secret, started from `baseEpoch` (the factor state the caller decided on).
     * It never touches the confirmed factor; it can only become one through confirmEnrolment.
     */
    async beginEnrolment(userId: string, label: string, baseEpoch: number): Promise<Enrolment> {
      const id = randomBytes(16).toString('base64url');
      const secret = (await loadOtplib()).generateSecret();
      const now = clock.now();
      await mfa.createEnrolment({
        id,
        userId,
        secretJwe: await seal(secret, deps.keyEncryptionSecret, 'totp-secret'),
        baseEpoch,
        expiresAt: new Date(now.getTime() + ENROLMENT_TTL_SECONDS * 1000),
        now,
      });
      return present(id, secret, label);
    },

    /** The same pending enrolment again (a reload shows the same secret), if it is still usable. */
    async resumeEnrolment(userId: string, id: string, label: string): Promise<Enrolment | undefined> {
      const row = await mfa.findEnrolment(id, userId, clock.now());
      if (!row) return undefined;
      return present(id, await unseal(row.secret_jwe, deps.keyEncryptionSecret), label);
    },

    /** The first valid code of a pending enrolment makes it the user's factor; recovery codes are shown once. */
    async confirmEnrolment(userId: string, id: string, code: string): Promise<EnrolmentOutcome> {
      const row = await mfa.findEnrolment(id, userId, clock.now());
      if (!row) return { kind: 'stale' };
      const step = await matchStep(await unseal(row.secret_jwe, deps.keyEncryptionSecret), code);
      if (step === undefined) return { kind: 'mismatch' };
      const recoveryCodes = newRecoveryCodes();
      const result = await mfa.confirmEnrolment({ id, userId, now: clock.now(), step, recoveryCodeHashes: recoveryCodes.map(digest) });
      if (result.outcome === 'stale') return { kind: 'stale' };
      await changed({ kind: result.outcome, userId });
      return { kind: 'confirmed', replaced: result.outcome === 'replaced', recoveryCodes, epoch: result.epoch };
    },

    /** A TOTP code (each time step at most once) or an unused recovery code. */
    async verify(userId: string, code: string): Promise<MfaVerification> {
      const row = await mfa.find(userId);
      if (!row) return { ok: false };
      const step = await matchStep(await unseal(row.secret_jwe, deps.keyEncryptionSecret), code);
      if (step !== undefined) return (await mfa.useStep(userId, step)) ? { ok: true, method: 'otp' } : { ok: false };
      if (/^[a-z0-9]{4}-?[a-z0-9]{4}-?[a-z0-9]{4}$/i.test(code.trim())) {
        const normalized = code.trim().toLowerCase().replace(/-/g, '').replace(/^(.{4})(.{4})(.{4})$/, '$1-$2-$3');
        if (await mfa.useRecoveryCode(userId, digest(normalized), clock.now())) return { ok: true, method: 'recovery' };
      }
      return { ok: false };
    },

    async regenerateRecoveryCodes(userId: string): Promise<string[]> {
      const codes = newRecoveryCodes();
      await mfa.replaceRecoveryCodes(userId, codes.map(digest));
      return codes;
    },
    unusedRecoveryCodes: (userId: string) => mfa.unusedRecoveryCodes(userId),

    /**
     * Turns MFA off (the caller has checked password + code, or is an admin); the owner is
     * mailed through onChange. Every sign-in or enrolment begun before is now stale.
     */
    async remove(userId: string): Promise<boolean> {
      const removed = await mfa.remove(userId);
      if (removed) await changed({ kind: 'removed', userId });
      return removed;
    },
  };
}

export type MfaService = ReturnType<typeof createMfaService>;
