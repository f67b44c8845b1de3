/** A positive (or ≥ min) integer command-line option; exits 2 with the flag's name otherwise. */
export function integer(value: string, flag: string, min = 1): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) {
    console.error(`${flag} must be an integer >= ${min} (got ${value})`);
    process.exit(2);
  }
  return number;
}
