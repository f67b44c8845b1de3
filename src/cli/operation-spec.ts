/**
 * How one admin operation looks on the command line. Only what the route record cannot say is
 * written here — the command's words, which fields are positional, README-era flag names, examples
 * and the human rendering of the answer. Flags, types, choices, defaults, required-ness and help
 * texts come from the route's zod schemas (schema-flags.ts), so they cannot drift from the API.
 */

/** A positional argument filling one input field. */
export interface ArgSpec {
  /** As shown in usage, e.g. `USER`, `CLIENT_ID`. */
  name: string;
  /** The params/query/body field it fills. */
  field: string;
  /** An email or a user id: an email is looked up through the admin API (`GET /users?email=`). */
  user?: boolean;
  optional?: boolean;
  /** The field's value when an optional argument is left out (e.g. null clears). */
  absent?: unknown;
  description: string;
}

export interface FlagSpec {
  /** The flag's name when it is not the kebab-case field name (kept for README-era commands). */
  flag?: string;
  /** Seconds given as `90s`, `15m`, `24h`, `7d` or a plain number. */
  duration?: boolean;
  /** Turns the flag's comma-separated values into the field's value (e.g. scope names → objects). */
  fromList?: (values: string[]) => unknown;
  /** Overrides the schema's description. */
  description?: string;
}

/** A flag that is not an input field; `input` turns it into fields. */
export interface ExtraFlag {
  type: 'string' | 'boolean';
  description: string;
  valueName?: string;
}

export interface Lookups {
  /** The id of the user an email (or id) names; exit "not found" if none. */
  userId(ref: string): Promise<string>;
  /** Like userId, but undefined when no account has that email. */
  findUserId(ref: string): Promise<string | undefined>;
}

export interface OperationSpec {
  /** The command's words after `gatehouse`, e.g. `users create`. */
  command: string;
  args?: ArgSpec[];
  flags?: Record<string, FlagSpec>;
  /** Object fields whose members become flags of their own (iat create's `policy`). */
  flatten?: string[];
  /** Fields the command does not offer (paging is done for you). */
  hide?: string[];
  /** A secret field, read from stdin (`flag`) or a prompt: never from argv, shell history or `ps`. */
  secret?: {
    field: string;
    flag: string;
    prompt: string;
    description: string;
    /** Read only when the flag is given (an update that may keep the current secret); never prompted for. */
    optional?: boolean;
  };
  extraFlags?: Record<string, ExtraFlag>;
  /** Fields computed from extra flags (e.g. `--user EMAIL` → `{ kind: 'user', id }`). */
  input?: (extra: Record<string, string | boolean | undefined>, lookups: Lookups) => Promise<Record<string, unknown>>;
  /** One line for usage when the flags alone do not tell (e.g. "exactly one of …"). */
  note?: string;
  /** A paged list (`{ items, nextCursor }`): every page is fetched. Any list answer is shown, and printed by `--json`, as its items. */
  paginate?: boolean;
  examples: string[];
  /** The answer for people (`--json` prints the admin API's body instead). */
  show(result: unknown, given: { args: Record<string, string>; extra: Record<string, string | boolean | undefined> }): string;
  /** A successful answer that still means failure (audit verify: a broken chain). */
  exitCode?(result: unknown): number;
}
