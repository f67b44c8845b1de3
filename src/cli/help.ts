/**
 * Every help text, generated: commands and summaries from the route records, flags (type,
 * choices, default, required) from their zod schemas, the rest from operations/. Nothing here is
 * written per command, so the help cannot drift from what the commands accept.
 */
import { ADMIN_PREFIX } from '../admin/route.ts';
import type { CommandTable } from './command-table.ts';
import { EXIT_CODE_MEANINGS } from './exit-codes.ts';
import type { OperationCommand } from './invocation.ts';
import type { LocalCommand } from './local-command.ts';
import type { Flag } from './schema-flags.ts';

const WIDTH = 100;

/** `left  description`, the description wrapped and aligned at `column`. */
function row(left: string, description: string, column: number): string {
  const words = description.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line && column + line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  const pad = ' '.repeat(column);
  const first = left.length + 2 <= column ? `${left.padEnd(column)}${lines.shift() ?? ''}` : left;
  return [first.trimEnd(), ...lines.map((text) => `${pad}${text}`)].join('\n');
}

const exitCodesLine = () => `Exit codes: ${EXIT_CODE_MEANINGS.map(([code, meaning]) => `${code} ${meaning.split(':')[0]}`).join(', ')} (gatehouse --help explains them).`;

function flagDescription(flag: Flag): string {
  const notes = [
    flag.required ? 'Required.' : '',
    flag.kind === 'list' ? 'Comma-separated, or repeat the flag.' : '',
    flag.kind === 'duration' ? 'A duration: 90s, 15m, 24h, 7d (or seconds).' : '',
    flag.kind === 'json' ? 'JSON.' : '',
    flag.defaultValue !== undefined && flag.defaultValue !== false && !(Array.isArray(flag.defaultValue) && flag.defaultValue.length === 0)
      ? `Default: ${Array.isArray(flag.defaultValue) ? flag.defaultValue.join(',') : String(flag.defaultValue)}.`
      : '',
  ];
  return [flag.description.replace(/\.?$/, '.'), ...notes].filter(Boolean).join(' ');
}

function usageOfFlag(flag: { name: string; valueName: string; short?: string | undefined }): string {
  return `${flag.short ? `-${flag.short}, ` : ''}--${flag.name}${flag.valueName ? ` ${flag.valueName}` : ''}`;
}

export function operationHelp(command: OperationCommand): string {
  const { args, flags } = command.interface();
  const { spec, route } = command;
  const words = `gatehouse ${spec.command}`;
  const required = flags.filter((flag) => flag.required).map(usageOfFlag);
  const usage = [words, ...args.map((arg) => (arg.optional ? `[${arg.name}]` : arg.name)), ...required, '[flags]'].join(' ');
  const flagRows = [
    ...flags.map((flag) => row(`  ${usageOfFlag(flag)}`, flagDescription(flag), 34)),
    row('  --json', 'Print the admin API’s JSON answer (camelCase names, null for absent values; a list as an array of every item).', 34),
    row('  -h, --help', 'This help.', 34),
  ];
  return [
    `${words} — ${route.summary}`,
    '',
    `Usage: ${usage}`,
    ...(spec.note ? ['', spec.note] : []),
    ...(args.length ? ['', 'Arguments:', ...args.map((arg) => row(`  ${arg.name}`, arg.description, 34))] : []),
    '',
    'Flags:',
    ...flagRows,
    '',
    'Examples:',
    ...spec.examples.map((example) => `  ${example}`),
    '',
    `Admin API: ${route.method.toUpperCase()} ${ADMIN_PREFIX}${route.path} (${route.operationId})`,
    exitCodesLine(),
  ].join('\n');
}

export function localHelp(command: LocalCommand): string {
  const args = command.args ?? [];
  const words = `gatehouse ${command.command}`;
  const flags = Object.entries(command.flags).map(([name, flag]) => ({ name, valueName: flag.type === 'boolean' ? '' : (flag.valueName ?? '<text>'), ...flag }));
  return [
    `${words} — ${command.summary}`,
    '',
    `Usage: ${[words, ...args.map((arg) => (arg.optional ? `[${arg.name}]` : arg.name)), '[flags]'].join(' ')}`,
    '',
    'A local command: it runs in this process against the configured storage, not through a running server.',
    ...(args.length ? ['', 'Arguments:', ...args.map((arg) => row(`  ${arg.name}`, arg.description, 34))] : []),
    '',
    'Flags:',
    ...flags.map((flag) => row(`  ${usageOfFlag(flag)}`, flag.description, 34)),
    row('  --json', 'Print the result as JSON.', 34),
    row('  -h, --help', 'This help.', 34),
    '',
    'Examples:',
    ...command.examples.map((example) => `  ${example}`),
    '',
    exitCodesLine(),
  ].join('\n');
}

export function groupHelp(table: CommandTable, group: string): string {
  const description = table.groups.find(([name]) => name === group)?.[1] ?? '';
  const commands = table.operations.filter((command) => command.words[0] === group);
  return [
    `gatehouse ${group} — ${description}`,
    '',
    `Usage: gatehouse ${group} <command> [arguments] [flags]`,
    '',
    'Commands:',
    ...commands.map((command) => row(`  ${command.spec.command}`, command.route.summary, 32)),
    '',
    `Each command takes --help (its flags and examples) and --json. ${exitCodesLine()}`,
  ].join('\n');
}

export function topHelp(table: CommandTable): string {
  return [
    'gatehouse — operate a Gatehouse server: users, clients, APIs, roles, keys and the audit trail.',
    '',
    'Usage: gatehouse <command> [arguments] [flags]',
    '',
    ...table.groups.flatMap(([group, description]) => [
      row(`${group}`, description, 32),
      ...table.operations.filter((command) => command.words[0] === group).map((command) => row(`  ${command.spec.command}`, command.route.summary, 32)),
      '',
    ]),
    'Local commands (run in this process, never through a server):',
    ...table.locals.map((command) => row(`  ${command.command}`, command.summary, 32)),
    '',
    'Every command takes --help (its flags and examples) and --json (the admin API’s JSON answer).',
    'Each admin command is one admin API operation. While a server runs on this machine, the command',
    'goes to it over its admin socket (GATEHOUSE_DATA_DIR/run/admin.sock, reachable only by the',
    'user running the server); with no server, the CLI opens the configured database itself. It',
    'reads the same environment as the server (DATABASE_URL, REDIS_URL, GATEHOUSE_DATA_DIR, …).',
    'Secrets are read from stdin or a prompt, never from arguments.',
    '',
    'Exit codes:',
    ...EXIT_CODE_MEANINGS.map(([code, meaning]) => row(`  ${code}`, meaning, 6)),
  ].join('\n');
}
