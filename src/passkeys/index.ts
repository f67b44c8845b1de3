/**
 * Passkeys (WebAuthn, through @simplewebauthn/server — nothing hand-rolled): enrolment, and the
 * assertions of a sign-in (second factor, or passwordless on their own).
 *
 * - Relying party: the RP ID is the issuer's host (or a configured parent domain); origins are
 *   the issuer's origin plus configured ones. Resident keys preferred, user verification
 *   required, attestation `none`.
 * - Challenges: random, kept in one keyspace per binding (`sign-in:<interaction>` or
 *   `account:<session>`) and spent by the first response whatever its outcome: single use, and a
 *   challenge of another interaction is unknown here.
 * - At rest: the credential ID and public key, the signature counter and the backup flags. A
 *   counter going backwards is reported (`counterRegressed`); the configured policy decides.
 *
 * @example
 * const options = await passkeys.authenticationOptions(`sign-in:${uid}`);
 * const result = await passkeys.authenticate(`sign-in:${uid}`, response, { userId });
 */
import { createHash, randomBytes } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { Clock } from '../clock.ts';
import type { WebAuthnChallengeKeyspace } from '../storage/keyspaces/webauthn-challenges.ts';
import type { PasskeyQueries, PasskeyRow } from '../storage/queries/passkeys.ts';
import { type CounterPolicy, judgeCounter } from './policy.ts';

export type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
export { type CounterPolicy, hasPasskey, judgeCounter, passkeyAmr } from './policy.ts';

/** Five minutes to touch the authenticator; then the challenge is gone. */
const CHALLENGE_TTL_SECONDS = 300;
const MAX_PASSKEYS = 20;

/**
 * The WebAuthn library (and its ASN.1 and CBOR stack, a few hundred modules) loads at the first
 * passkey ceremony, not with every start and every CLI command.
 */
let webauthnLibrary: Promise<typeof import('@simplewebauthn/server')> | undefined;
const webauthn = () => (webauthnLibrary ??= import('@simplewebauthn/server'));

export interface RelyingParty {
  id: string;
  name: string;
  origins: readonly string[];
}

export interface PasskeyView {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  /** Backup state (BS): a synced passkey, copied between the devices of a cloud keychain. */
  backedUp: boolean;
  /** Not backup-eligible (BE=0): the key can never leave its authenticator. */
  deviceBound: boolean;
}

/** Why an assertion or attestation was refused (audit `details.reason`). */
export type PasskeyRefusal =
  | 'challenge'
  | 'origin'
  | 'rp_id'
  | 'user_verification'
  | 'unknown_credential'
  | 'wrong_user'
  | 'counter_regressed'
  | 'signature'
  | 'malformed'
  | 'too_many';

export type Assertion =
  | { kind: 'verified'; userId: string; passkeyId: string; backedUp: boolean; userVerified: boolean; counterRegressed: boolean }
  | { kind: 'refused'; reason: PasskeyRefusal; userId?: string; passkeyId?: string };

export type Registration =
  | { kind: 'added'; passkey: PasskeyView; epoch: number }
  | { kind: 'refused'; reason: PasskeyRefusal }
  | { kind: 'duplicate' }
  | { kind: 'stale' };

/**
 * The WebAuthn user.id of an account: a digest of its (random) id, not the id or the email — the
 * spec wants no personal data in it — and the same for every passkey of the account.
 */
const userHandle = (userId: string) => createHash('sha256').update(`gatehouse-webauthn-user:${userId}`).digest('base64url');

const view = (row: PasskeyRow): PasskeyView => ({
  id: row.id,
  name: row.name,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  backedUp: row.backed_up,
  deviceBound: !row.backup_eligible,
});

/** The library's error, as a refusal reason (its messages are stable per check). */
function refusalOf(error: unknown): PasskeyRefusal {
  const message = error instanceof Error ? error.message : '';
  if (/challenge/i.test(message)) return 'challenge';
  if (/RP ID/i.test(message)) return 'rp_id';
  if (/origin/i.test(message)) return 'origin';
  if (/user verification|not present/i.test(message)) return 'user_verification';
  if (/counter/i.test(message)) return 'counter_regressed';
  if (/signature/i.test(message)) return 'signature';
  return 'malformed';
}

export function createPasskeyService(deps: { passkeys: PasskeyQueries; challenges: WebAuthnChallengeKeyspace; rp: RelyingParty; clock: Clock; counterPolicy: CounterPolicy }) {
  const { passkeys, challenges, rp } = deps;
  const expected = { expectedOrigin: [...rp.origins], expectedRPID: rp.id, requireUserVerification: true };

  /** A check of the response's challenge against those issued to `binding` (all spent now). */
  async function challengeCheck(binding: string) {
    const issued = new Set(await challenges.take(binding));
    return (challenge: string) => issued.has(challenge);
  }

  return {
    rp,
    list: async (userId: string): Promise<PasskeyView[]> => (await passkeys.listByUser(userId)).map(view),
    count: (userId: string) => passkeys.count(userId),

    async registrationOptions(binding: string, user: { id: string; email: string }): Promise<PublicKeyCredentialCreationOptionsJSON> {
      const existing = await passkeys.listByUser(user.id);
      const options = await (await webauthn()).generateRegistrationOptions({
        rpName: rp.name,
        rpID: rp.id,
        userName: user.email,
        userID: Buffer.from(userHandle(user.id), 'base64url'),
        attestationType: 'none',
        excludeCredentials: existing.map((row) => ({ id: row.credential_id, transports: row.transports })),
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
        timeout: CHALLENGE_TTL_SECONDS * 1000,
      });
      await challenges.issue(binding, options.challenge, CHALLENGE_TTL_SECONDS);
      return options;
    },

    /** Verifies an attestation for `user` and stores the credential, if the factor epoch is still `baseEpoch`. */
    async register(binding: string, user: { id: string }, response: RegistrationResponseJSON, name: string, baseEpoch: number): Promise<Registration> {
      const check = await challengeCheck(binding);
      if ((await passkeys.count(user.id)) >= MAX_PASSKEYS) return { kind: 'refused', reason: 'too_many' };
      const library = await webauthn(); // outside the try: a library that fails to load is not a refused passkey
      let verification: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
      try {
        verification = await library.verifyRegistrationResponse({ response, expectedChallenge: check, ...expected });
      } catch (error) {
        return { kind: 'refused', reason: refusalOf(error) };
      }
      if (!verification.verified) return { kind: 'refused', reason: 'signature' };
      const info = verification.registrationInfo;
      const row = {
        id: randomBytes(12).toString('base64url'),
        userId: user.id,
        credentialId: info.credential.id,
        publicKey: info.credential.publicKey,
        userHandle: userHandle(user.id),
        name,
        signCount: info.credential.counter,
        transports: info.credential.transports ?? [],
        backupEligible: info.credentialDeviceType === 'multiDevice',
        backedUp: info.credentialBackedUp,
        createdAt: deps.clock.now(),
      };
      const outcome = await passkeys.insert(row, baseEpoch);
      if (outcome.outcome !== 'added') return { kind: outcome.outcome };
      return { kind: 'added', epoch: outcome.epoch, passkey: { id: row.id, name, createdAt: row.createdAt, lastUsedAt: null, backedUp: row.backedUp, deviceBound: !row.backupEligible } };
    },

    /** Options for an assertion: the user's passkeys (second factor), or any discoverable one (passwordless). */
    async authenticationOptions(binding: string, userId?: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
      const allow = userId ? (await passkeys.listByUser(userId)).map((row) => ({ id: row.credential_id, transports: row.transports as never })) : [];
      const options = await (await webauthn()).generateAuthenticationOptions({ rpID: rp.id, userVerification: 'required', allowCredentials: allow, timeout: CHALLENGE_TTL_SECONDS * 1000 });
      await challenges.issue(binding, options.challenge, CHALLENGE_TTL_SECONDS);
      return options;
    },

    /**
     * Verifies an assertion against a challenge issued to `binding`; `userId` when the passkey must
     * be that user's (second factor). The counter and backup state are recorded on success.
     */
    async authenticate(binding: string, response: AuthenticationResponseJSON, expectUser?: string): Promise<Assertion> {
      const check = await challengeCheck(binding);
      const row = await passkeys.findByCredentialId(response.id);
      if (!row) return { kind: 'refused', reason: 'unknown_credential' };
      const who = { userId: row.user_id, passkeyId: row.id };
      if (expectUser !== undefined && row.user_id !== expectUser) return { kind: 'refused', reason: 'wrong_user', ...who };
      if (response.response.userHandle !== undefined && response.response.userHandle !== row.user_handle) return { kind: 'refused', reason: 'wrong_user', ...who };
      const stored = Number(row.sign_count);
      const library = await webauthn(); // outside the try: a library that fails to load is not a refused passkey
      let verification: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
      try {
        // The library's own counter check is left out (counter 0): judgeCounter and the policy decide.
        verification = await library.verifyAuthenticationResponse({
          response,
          expectedChallenge: check,
          ...expected,
          credential: { id: row.credential_id, publicKey: new Uint8Array(row.public_key), counter: 0, transports: row.transports as never },
        });
      } catch (error) {
        return { kind: 'refused', reason: refusalOf(error), ...who };
      }
      if (!verification.verified) return { kind: 'refused', reason: 'signature', ...who };
      const info = verification.authenticationInfo;
      const counterRegressed = judgeCounter(stored, info.newCounter) === 'regressed';
      if (counterRegressed && deps.counterPolicy === 'refuse') return { kind: 'refused', reason: 'counter_regressed', ...who };
      const newCount = counterRegressed ? stored : info.newCounter;
      // Lost the race with a concurrent use of the same counter value: that one stands, this one is a replay.
      if (!(await passkeys.recordUse({ id: row.id, seenCount: stored, newCount, backedUp: info.credentialBackedUp, at: deps.clock.now() })) && info.newCounter > 0) {
        return { kind: 'refused', reason: 'counter_regressed', ...who };
      }
      return { kind: 'verified', ...who, backedUp: info.credentialBackedUp, userVerified: info.userVerified, counterRegressed };
    },

    rename: (userId: string, id: string, name: string) => passkeys.rename(userId, id, name),
    remove: (userId: string, id: string) => passkeys.remove(userId, id),
  };
}

export type PasskeyService = ReturnType<typeof createPasskeyService>;
export { assertionField, attestationField } from './response-form.ts';
