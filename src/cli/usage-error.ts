/** The command line is wrong (exit 2): the message says what, and `--help` shows the right form. */
export class UsageError extends Error {
  override name = 'UsageError';
}
