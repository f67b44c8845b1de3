/**
 * The shape of a local command (one that is not an admin operation; see local-commands.ts for
 * the registry), kept apart from the registry so commands can name their type without a cycle.
 */
import type { Config } from '../config.ts';
export interface LocalFlag {
  type: 'string' | 'boolean';
  description: string;
  valueName?: string;
  multiple?: boolean;
  /** A one-letter alias (`-f` for `--file`). */
  short?: string;
}

export interface LocalCommand {
  /** Its words after `gatehouse`, e.g. `migrate` or `import django`. */
  command: string;
  summary: string;
  args?: Array<{ name: string; description: string; optional?: boolean }>;
  flags: Record<string, LocalFlag>;
  examples: string[];
  /** Returns the exit code (exit-codes.ts). */
  run(input: LocalInput): Promise<number>;
}

export interface LocalInput {
  config: Config;
  /** The flags, already checked against `flags`. */
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  /** The arguments after the command's words, as typed (for commands that parse their own). */
  argv: string[];
  json: boolean;
  out(text: string): void;
}

/** node:util parseArgs options for a local command's flags (plus the global --json). */
export function localParseOptions(command: LocalCommand) {
  const options = Object.fromEntries(
    Object.entries(command.flags).map(([name, flag]) => [
      name,
      { type: flag.type, ...(flag.multiple ? { multiple: true } : {}), ...(flag.short ? { short: flag.short } : {}) },
    ]),
  );
  return { ...options, json: { type: 'boolean' as const } };
}
