/**
 * The CLI's exit codes: one table, printed by `--help` and listed in the README (a test keeps the
 * two in step). Scripts branch on them: "not found" and "conflict" are not failures of the tool.
 */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  notFound: 3,
  invalid: 4,
  conflict: 5,
  unavailable: 6,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODE_MEANINGS: ReadonlyArray<readonly [ExitCode, string]> = [
  [EXIT.ok, 'done'],
  [EXIT.failed, 'failed: an internal error, or a check that did not pass (audit verify found the chain broken)'],
  [EXIT.usage, 'usage: unknown command or flag, a missing or malformed argument, or a configuration error'],
  [EXIT.notFound, 'not found: no such user, client, API, role, group, key or token'],
  [EXIT.invalid, 'invalid: the server refused the input (each reason is printed)'],
  [EXIT.conflict, 'conflict: it already exists, or is already granted'],
  [EXIT.unavailable, 'unavailable: the database, Redis or the running server could not be reached; try again'],
];

/** The exit code of an admin API answer (problem documents carry the HTTP status). */
export function exitCodeOfStatus(status: number): ExitCode {
  if (status < 400) return EXIT.ok;
  if (status === 404) return EXIT.notFound;
  if (status === 409) return EXIT.conflict;
  if (status === 400 || status === 405 || status === 413 || status === 415) return EXIT.invalid;
  if (status === 429 || status === 503) return EXIT.unavailable;
  return EXIT.failed;
}
