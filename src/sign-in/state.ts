/**
 * The one record of a sign-in in progress, bound to its oidc-provider interaction (stored in the
 * interaction's result by the edge, so it lives and dies with the interaction and only the
 * browser holding the interaction cookie reaches it). zod-guarded on every read: anything
 * malformed, from another interaction or another version is no state at all.
 *
 *   identify ──password ok──▶ unverified            (email not confirmed; can ask for a new link)
 *      │                  ├─▶ second_factor         (enrolled: a passkey, TOTP or recovery code; passkey only when loa:3 is required)
 *      │                  └─▶ enrol ──code ok──▶ enrolled (recovery codes shown) ──▶ done
 *      └── (a slow-down `wait` rides along with whatever stage it is given in)
 *
 *   a passkey alone (passwordless, user-verified) ──▶ done (loa:3)
 *
 *   upstream identity of an existing, unlinked account ──▶ identify + `link` (its password first;
 *   the link is made when the sign-in completes, after the second factor if one is enrolled)
 *
 * `factorEpoch` is the user's factor epoch (mfa/) when the first factor succeeded: every later
 * step checks it is unchanged, so a sign-in parked before the owner enrolled, replaced or removed
 * a factor can never act on the old state (it must start again).
 */
import { z } from 'zod';

const wait = z.object({ notBeforeMs: z.number().int(), ticket: z.string().min(16).max(64) });

/** An upstream identity waiting to be linked once the existing account is proven (federation). */
const pendingLink = z.object({
  provider: z.string().max(64),
  subject: z.string().max(255),
  email: z.string().max(320).optional(),
  emailVerified: z.boolean(),
  name: z.string().max(320).optional(),
  groups: z.array(z.string().max(256)).max(256),
  amr: z.array(z.string().max(32)).max(8),
  acr: z.string().max(320).optional(),
});

const common = {
  v: z.literal(1),
  link: pendingLink.optional(),
  uid: z.string().min(1).max(128),
  /** The email as typed, normalized: the key of the sign-in limits. */
  email: z.string().max(320),
  wait: wait.optional(),
};

const proven = {
  accountId: z.string().min(1).max(128),
  /** The account's address (mails, the second-factor page). */
  accountEmail: z.string().max(320),
  /** RFC 8176 methods proven so far. */
  amr: z.array(z.string().max(16)).max(8),
  factorEpoch: z.number().int().nonnegative(),
};

export const signInStateSchema = z.discriminatedUnion('stage', [
  z.object({ stage: z.literal('identify'), ...common }),
  z.object({ stage: z.literal('unverified'), ...common, ...proven }),
  /** `passkeyOnly`: loa:3 is required (and why): a TOTP or recovery code is not accepted. */
  z.object({ stage: z.literal('second_factor'), ...common, ...proven, passkeyOnly: z.enum(['role', 'client', 'acr']).optional() }),
  z.object({ stage: z.literal('enrol'), ...common, ...proven, reason: z.enum(['role', 'client', 'acr']), enrolmentId: z.string().max(64).optional() }),
  z.object({ stage: z.literal('enrolled'), ...common, ...proven }),
]);

export type SignInState = z.infer<typeof signInStateSchema>;
export type ProvenState = Extract<SignInState, { accountId: string }>;
export type SignInWait = z.infer<typeof wait>;

/** The state of interaction `uid`, or undefined when there is none (or it is not valid). */
export function readSignInState(raw: unknown, uid: string): SignInState | undefined {
  const parsed = signInStateSchema.safeParse(raw);
  return parsed.success && parsed.data.uid === uid ? parsed.data : undefined;
}
