/**
 * Commands that are not admin operations: they run in the CLI's own process against the
 * configured storage (or none), never through a running server. Today `migrate`; a new one
 * (an importer, a generator) is a file in commands/ registered below. Its help is built from the
 * same fields as an operation's (summary, flags with descriptions, examples). A command written
 * against the services (`(ctx: CommandContext, argv) => …`) is wrapped by `withContext` (context.ts).
 */
import { applyCommand, exportCommand } from './commands/apply.ts';
import { importDjangoCommand } from './commands/import-django.ts';
import { migrateCommand } from './commands/migrate.ts';
import type { LocalCommand } from './local-command.ts';

export type { LocalCommand } from './local-command.ts';

export const LOCAL_COMMANDS: readonly LocalCommand[] = [migrateCommand, importDjangoCommand, applyCommand, exportCommand];

