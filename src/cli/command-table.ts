/**
 * The CLI's commands: one per admin route record (shaped by operations/), plus the local
 * commands. Built from the records themselves, so a command exists exactly when its operation does.
 */
import { adminRoutes } from '../admin/routes.ts';
import type { JobRunner } from '../jobs/index.ts';
import type { Services } from '../services.ts';
import type { OperationCommand } from './invocation.ts';
import { LOCAL_COMMANDS, type LocalCommand } from './local-commands.ts';
import { COMMAND_GROUPS, OPERATION_COMMANDS } from './operations/index.ts';
import { commandInterface } from './schema-flags.ts';

/** Route records are listed without services: handlers (which read them) never run here. */
const unused = <T extends object>(what: string) =>
  new Proxy({} as T, {
    get(_, name) {
      throw new Error(`${what}.${String(name)} was read while listing route records`);
    },
  });
const NO_SERVICES = unused<Services>('services');
const NO_JOBS = unused<JobRunner>('jobs');

export interface CommandTable {
  operations: OperationCommand[];
  locals: readonly LocalCommand[];
  groups: ReadonlyArray<readonly [string, string]>;
}

export function buildCommandTable(): CommandTable {
  const operations = adminRoutes(NO_SERVICES, NO_JOBS).map((route): OperationCommand => {
    const spec = OPERATION_COMMANDS[route.operationId];
    if (!spec) throw new Error(`admin operation ${route.operationId} has no command (src/cli/operations/)`);
    let built: ReturnType<typeof commandInterface> | undefined;
    return { words: spec.command.split(' '), route, spec, interface: () => (built ??= commandInterface(route, spec)) };
  });
  return { operations, locals: LOCAL_COMMANDS, groups: COMMAND_GROUPS };
}

export type Found =
  | { kind: 'operation'; command: OperationCommand; rest: string[] }
  | { kind: 'local'; command: LocalCommand; rest: string[] }
  | { kind: 'group'; group: string }
  | { kind: 'unknown'; word: string };

/** The longest run of leading words naming a command; else the group its first word names. */
export function findCommand(table: CommandTable, argv: readonly string[]): Found {
  for (let n = Math.min(3, argv.length); n >= 1; n -= 1) {
    const words = argv.slice(0, n).join(' ');
    const operation = table.operations.find((command) => command.spec.command === words);
    if (operation) return { kind: 'operation', command: operation, rest: argv.slice(n) };
    const local = table.locals.find((command) => command.command === words);
    if (local) return { kind: 'local', command: local, rest: argv.slice(n) };
  }
  const [first = ''] = argv;
  if (table.groups.some(([group]) => group === first)) return { kind: 'group', group: first };
  return { kind: 'unknown', word: first };
}
