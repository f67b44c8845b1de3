/**
 * Commands that are not admin operations: they run in the CLI's own process against the
 * configured storage (or none), never through a running server. Today `migrate`; a new one
 * (an importer, a generator) is a file in commands/ registered below. Its help is built from the
 * same fields as an operation's (summary, flags with descriptions, examples). A command written
 * against the services (`(ctx: CommandContext, argv) => …`) is wrapped by `withContext` (context.ts).
 */
import type { Config } from '../config.ts';
import { importDjangoCommand } from './commands/import-django.ts';
import { migrateCommand } from './commands/migrate.ts';

export interface LocalFlag {
  type: 'string' | 'boolean';
  description: string;
  valueName?: string;
  multiple?: boolean;
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

export const LOCAL_COMMANDS: readonly LocalCommand[] = [migrateCommand, importDjangoCommand];

/** node:util parseArgs options for a local command's flags (plus the global --json). */
export function localParseOptions(command: LocalCommand) {
  const options = Object.fromEntries(
    Object.entries(command.flags).map(([name, flag]) => [name, { type: flag.type, ...(flag.multiple ? { multiple: true } : {}) }]),
  );
  return { ...options, json: { type: 'boolean' as const } };
}
