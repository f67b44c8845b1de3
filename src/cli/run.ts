/**
 * One CLI run: find the command, print help or run it, map every outcome to an exit code
 * (exit-codes.ts). Help never needs configuration; configuration is loaded only to run.
 */
import type { AdminRequest, AdminResponse, Problem } from '../admin/dispatch.ts';
import { ConfigError, loadConfigFromProcess } from '../config.ts';
import { buildCommandTable, findCommand } from './command-table.ts';
import { EXIT, type ExitCode, exitCodeOfStatus } from './exit-codes.ts';
import { groupHelp, localHelp, operationHelp, topHelp } from './help.ts';
import { type OperationCommand, parseArgv, parseInvocation } from './invocation.ts';
import { type LocalCommand, localParseOptions } from './local-command.ts';
import type { Lookups } from './operation-spec.ts';
import { json } from './output.ts';
import { readSecret } from './secret-input.ts';
import { createTransport, type Transport, Unavailable } from './transport.ts';
import { UsageError } from './usage-error.ts';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** An admin answer that ends the command (a problem document), with its exit code. */
class Refused extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode) {
    super(message);
    this.exitCode = exitCode;
  }
}

const wantsHelp = (argv: readonly string[]) => argv.some((arg) => arg === '--help' || arg === '-h');

async function send(transport: Transport, request: AdminRequest): Promise<unknown> {
  const response: AdminResponse = await transport.send(request);
  if (response.status < 400) return response.body ?? null;
  const problem = response.body as Partial<Problem> | undefined;
  const reasons = problem?.errors && problem.errors.length > 1 ? problem.errors : [problem?.detail ?? `the server answered ${response.status}`];
  throw new Refused(reasons.join('\n'), exitCodeOfStatus(response.status));
}

function lookupsOf(transport: Transport): Lookups {
  const findUserId = async (ref: string) => {
    if (!ref.includes('@')) return ref;
    const page = (await send(transport, { method: 'GET', path: '/users', query: { email: ref, limit: '1' } })) as { items: Array<{ id: string }> };
    return page.items[0]?.id;
  };
  return {
    findUserId,
    async userId(ref) {
      const id = await findUserId(ref);
      if (id === undefined) throw new Refused(`no user ${ref}`, EXIT.notFound);
      return id;
    },
  };
}

/** Every page of a list operation, as one array. */
async function allPages(transport: Transport, request: AdminRequest): Promise<unknown[]> {
  const items: unknown[] = [];
  let cursor: string | null = null;
  do {
    const query: Record<string, string> = { ...request.query, limit: '200', ...(cursor ? { cursor } : {}) };
    const page = (await send(transport, { ...request, query })) as { items: unknown[]; nextCursor: string | null };
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

const isList = (value: unknown): value is { items: unknown[] } =>
  typeof value === 'object' && value !== null && Array.isArray((value as { items?: unknown }).items);

async function runOperation(command: OperationCommand, argv: string[], io: Io): Promise<number> {
  const invocation = parseInvocation(command, argv);
  const { spec } = command;
  if (spec.secret && !spec.secret.optional && !invocation.secretFromStdin && !process.stdin.isTTY) {
    throw new UsageError(`pass --${spec.secret.flag} and pipe the ${spec.secret.field}, or run in a terminal to be prompted`);
  }
  const transport = createTransport(loadConfigFromProcess());
  try {
    const request = await invocation.build(lookupsOf(transport), (prompt) => readSecret(prompt));
    const answer = spec.paginate ? await allPages(transport, request) : await send(transport, request);
    // A list answer ({ items, … }) is its items, whether or not it is paged.
    const result = isList(answer) ? answer.items : answer;
    io.out(invocation.json ? json(result) : spec.show(result, { args: invocation.args, extra: invocation.extra }));
    return spec.exitCode?.(result) ?? EXIT.ok;
  } finally {
    await transport.close();
  }
}

async function runLocal(command: LocalCommand, argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgv(argv, localParseOptions(command), `gatehouse ${command.command} --help`);
  const given = values as Record<string, string | boolean | string[] | undefined>;
  return command.run({ config: loadConfigFromProcess(), values: given, positionals, argv, json: given.json === true, out: io.out });
}

async function dispatch(argv: string[], io: Io): Promise<number> {
  const table = buildCommandTable();
  if (argv.length === 0 || argv[0] === 'help' || (argv[0]?.startsWith('-') && wantsHelp(argv))) {
    (argv.length === 0 ? io.err : io.out)(topHelp(table));
    return argv.length === 0 ? EXIT.usage : EXIT.ok;
  }
  const found = findCommand(table, argv);
  const help = (text: string) => {
    io.out(text);
    return EXIT.ok;
  };
  switch (found.kind) {
    case 'operation':
      if (wantsHelp(found.rest)) return help(operationHelp(found.command));
      return runOperation(found.command, found.rest, io);
    case 'local':
      if (wantsHelp(found.rest)) return help(localHelp(found.command));
      return runLocal(found.command, found.rest, io);
    case 'group':
      if (wantsHelp(argv)) return help(groupHelp(table, found.group));
      io.err(`${argv.length > 1 ? `gatehouse: unknown command "${argv.slice(0, 2).join(' ')}"\n\n` : ''}${groupHelp(table, found.group)}`);
      return EXIT.usage;
    default:
      io.err(`gatehouse: unknown command "${found.word}" (gatehouse --help lists the commands)`);
      return EXIT.usage;
  }
}

export async function runCli(argv: string[], io: Io): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (error instanceof Refused) {
      io.err(`gatehouse: ${error.message}`);
      return error.exitCode;
    }
    if (error instanceof UsageError) {
      io.err(`gatehouse: ${error.message}`);
      return EXIT.usage;
    }
    if (error instanceof ConfigError) {
      io.err(`gatehouse: configuration error: ${error.message}`);
      return EXIT.usage;
    }
    if (error instanceof Unavailable) {
      io.err(`gatehouse: ${error.message}`);
      return EXIT.unavailable;
    }
    io.err(`gatehouse: ${(error as Error)?.message ?? String(error)}`);
    return EXIT.failed;
  }
}
