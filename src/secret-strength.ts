/**
 * Is a configured secret guessable? Pure rules over the value, for the production guards in
 * `config.ts`. Length and format are checked there; these catch values of the right length that
 * carry (almost) no entropy: `AAAA…=` (32 zero bytes), `aaaa…`, `abcabc…`, `0123…`, passphrases
 * where random bytes are expected, and the placeholders people paste from examples.
 *
 * Every rule is chosen so that a value from `openssl rand` (the documented way) is refused with
 * negligible probability (see each rule).
 *
 * @example
 * guessableSecretReason(new Uint8Array(32)); // 'is one byte repeated'
 * guessableSecretReason(randomBytes(32));    // undefined
 */

/**
 * Words of placeholders and examples ("change-me", "example-secret", …). None is shorter than 6
 * letters, so a random base64 key holds one by chance with probability below 1e-7; hex keys
 * cannot hold any.
 */
const PLACEHOLDER_WORDS = ['changeme', 'change-me', 'change_me', 'replace', 'example', 'placeholder', 'insecure', 'secret', 'password', 'sample'];

/**
 * Fewest distinct symbols a secret of this kind may hold. 32 random bytes hold about 30
 * distinct values (fewer than 16: probability below 1e-20); 32 random hex digits hold about 14
 * of the 16 (fewer than 8: about 4e-8).
 */
const MIN_DISTINCT = { bytes: 16, text: 8 } as const;

/** The steps from each symbol to the next: a pattern shows in them even when the symbols vary. */
const stepsOf = (symbols: readonly number[]) => symbols.slice(1).map((symbol, index) => symbol - (symbols[index] as number));

/**
 * True when the sequence is a short pattern carried on: its steps repeat with a period of at
 * most half its length. That covers a repeated block (`abcabc`, a key pasted twice) and runs
 * (`0123…`, `abcd…`). For random values each extra step matches by chance with probability about
 * 1/16 or less, so a 32-symbol random value passes with probability above 1 - 1e-15.
 */
function followsShortPattern(steps: readonly number[]): boolean {
  for (let period = 1; period <= (steps.length + 1) / 2; period += 1) {
    if (steps.every((step, index) => index < period || step === steps[index - period])) return true;
  }
  return false;
}

/**
 * True when one step makes up at least half of all steps (`0123456789abcdef…` with a jump or
 * two, `aaaa…ab`). In 31 steps of random hex digits the likeliest step turns up 16 times with
 * probability below 1e-10.
 */
function mostlyOneStep(steps: readonly number[]): boolean {
  const counts = new Map<number, number>();
  for (const step of steps) counts.set(step, (counts.get(step) ?? 0) + 1);
  return Math.max(...counts.values()) * 2 >= steps.length;
}

const isPrintableAscii = (byte: number) => byte >= 0x20 && byte <= 0x7e;

/**
 * Why `value` is guessable, or undefined when it looks random. Bytes are a decoded binary
 * secret (the key-encryption secret); a string is a text key (a cookie key). The reason never
 * contains the value.
 */
export function guessableSecretReason(value: Uint8Array | string): string | undefined {
  const bytes = typeof value !== 'string';
  const symbols = bytes ? [...value] : [...value].map((char) => char.codePointAt(0) as number);
  const distinct = new Set(symbols).size;
  if (distinct === 1) return bytes ? 'is one byte repeated' : 'is one character repeated';
  const steps = stepsOf(symbols);
  if (followsShortPattern(steps)) return 'repeats a short pattern';
  if (mostlyOneStep(steps)) return 'is mostly one run (like 0123… or aaaa…b)';
  if (distinct < MIN_DISTINCT[bytes ? 'bytes' : 'text']) return `uses only ${distinct} distinct ${bytes ? 'byte values' : 'characters'}`;
  const text = (bytes ? Buffer.from(value).toString('latin1') : value).toLowerCase();
  const word = PLACEHOLDER_WORDS.find((candidate) => text.includes(candidate));
  if (word) return `contains the placeholder word "${word}"`;
  // 32 random bytes are all printable with probability (95/256)^32 ≈ 2e-14: this is typed text.
  if (bytes && symbols.every(isPrintableAscii)) return 'is typed text, not random bytes';
  return undefined;
}
