/**
 * argv of one operation command → the admin request it stands for. Strings become the JSON types
 * the schema names (numbers, booleans, lists, durations in seconds, JSON); emails become user ids
 * through the admin API; a secret comes from stdin or a prompt. Anything malformed is a usage
 * error here; everything else is the server's to validate.
 */
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import type { AdminRequest } from '../admin/dispatch.ts';
import type { AdminRoute } from '../admin/route.ts';
import { durationSeconds } from './durations.ts';
import type { Lookups, OperationSpec } from './operation-spec.ts';
import type { CommandInterface, Field, Flag } from './schema-flags.ts';
import { UsageError } from './usage-error.ts';

export interface OperationCommand {
  words: string[];
  route: AdminRoute;
  spec: OperationSpec;
  /** Built on first use: the schemas are only converted for the command that runs (or its help). */
  interface(): CommandInterface;
}

export interface ParsedInvocation {
  command: OperationCommand;
  json: boolean;
  /** Positional values as typed, for messages (`you@example.com: ended 2 sessions`). */
  args: Record<string, string>;
  /** Values of the spec's extra flags. */
  extra: Record<string, string | boolean | undefined>;
  /** `--password-stdin` given (the secret is then read from stdin, never a prompt). */
  secretFromStdin: boolean;
  build(lookups: Lookups, readSecret: (prompt: string, fromStdin: boolean) => Promise<string>): Promise<AdminRequest>;
}

type Values = Record<string, string | boolean | string[] | undefined>;

export function parseOptions(flags: readonly Flag[]): ParseArgsOptionsConfig {
  const options: ParseArgsOptionsConfig = { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } };
  for (const flag of flags) {
    options[flag.name] = { type: flag.kind === 'boolean' || flag.kind === 'secret' ? 'boolean' : 'string', ...(flag.kind === 'list' ? { multiple: true } : {}) };
  }
  return options;
}

/** node:util's messages are long; ours name the flag and where to look. */
export function parseArgv(argv: string[], options: ParseArgsOptionsConfig, helpHint: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    const unknown = /Unknown option '([^']+)'/.exec(message)?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) throw new UsageError(`unknown flag ${unknown} (${helpHint} lists the flags)`);
    const needsValue = /Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/.exec(message)?.[1];
    if (needsValue) throw new UsageError(`${needsValue} needs a value`);
    throw new UsageError(message.split('.')[0] ?? message);
  }
}

const splitList = (values: string[]) =>
  values
    .flatMap((value) => value.split(','))
    .map((entry) => entry.trim())
    .filter(Boolean);

function convert(flag: Flag, raw: string | boolean | string[]): unknown {
  const label = `--${flag.name}`;
  const number = (text: string) => {
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value) || (flag.kind !== 'number' && !Number.isInteger(value))) {
      throw new UsageError(`${label} must be a ${flag.kind === 'number' ? 'number' : 'whole number'} (got "${text}")`);
    }
    return value;
  };
  switch (flag.kind) {
    case 'boolean':
    case 'secret':
      return raw === true;
    case 'integer':
    case 'number':
      return number(String(raw));
    case 'duration':
      return durationSeconds(String(raw), label);
    case 'list': {
      const items = splitList(raw as string[]);
      if (flag.spec?.fromList) return flag.spec.fromList(items);
      return flag.itemKind === 'string' ? items : items.map(number);
    }
    case 'json':
      try {
        return JSON.parse(String(raw));
      } catch {
        throw new UsageError(`${label} must be JSON (got ${String(raw).slice(0, 40)})`);
      }
    default:
      return String(raw);
  }
}

function place(input: Record<'params' | 'query' | 'body', Record<string, unknown>>, field: Field, value: unknown) {
  const part = input[field.source];
  if (!field.parent) {
    part[field.name] = value;
    return;
  }
  const parent = (part[field.parent] ?? {}) as Record<string, unknown>;
  parent[field.name] = value;
  part[field.parent] = parent;
}

export function requestOf(route: AdminRoute, input: Record<'params' | 'query' | 'body', Record<string, unknown>>): AdminRequest {
  const path = route.path.replaceAll(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) => encodeURIComponent(String(input.params[name] ?? '')));
  const query = Object.fromEntries(Object.entries(input.query).map(([key, value]) => [key, String(value)]));
  return { method: route.method.toUpperCase(), path, ...(Object.keys(query).length ? { query } : {}), ...(route.body ? { body: input.body } : {}) };
}

export function parseInvocation(command: OperationCommand, argv: string[]): ParsedInvocation {
  const { spec, route } = command;
  const { args, flags } = command.interface();
  const helpHint = `gatehouse ${command.words.join(' ')} --help`;
  const { values, positionals } = parseArgv(argv, parseOptions(flags), helpHint) as { values: Values; positionals: string[] };

  if (positionals.length > args.length) throw new UsageError(`unexpected argument "${positionals[args.length]}" (${helpHint})`);
  const missingArgs = args.filter((arg, i) => !arg.optional && positionals[i] === undefined).map((arg) => arg.name);
  const missingFlags = flags.filter((flag) => flag.required && values[flag.name] === undefined).map((flag) => `--${flag.name}`);
  if (missingArgs.length + missingFlags.length > 0) throw new UsageError(`missing ${[...missingArgs, ...missingFlags].join(', ')} (${helpHint})`);

  const input: Record<'params' | 'query' | 'body', Record<string, unknown>> = { params: {}, query: {}, body: {} };
  for (const flag of flags) {
    const raw = values[flag.name];
    if (raw === undefined || !flag.field) continue;
    place(input, flag.field, convert(flag, raw));
  }
  const given: Record<string, string> = {};
  args.forEach((arg, i) => {
    const value = positionals[i];
    if (value !== undefined) given[arg.name] = value;
    if (value !== undefined || arg.absent !== undefined) place(input, arg.target, value ?? arg.absent);
  });
  const extra = Object.fromEntries(flags.filter((flag) => flag.extra).map((flag) => [flag.name, values[flag.name] as string | boolean | undefined]));
  const secretFromStdin = spec.secret ? values[spec.secret.flag] === true : false;

  return {
    command,
    json: values.json === true,
    args: given,
    extra,
    secretFromStdin,
    async build(lookups, readSecret) {
      for (const arg of args) {
        if (arg.user && given[arg.name] !== undefined) place(input, arg.target, await lookups.userId(given[arg.name] ?? ''));
      }
      if (spec.input) {
        const computed = await spec.input(extra, lookups);
        const byName = new Map([...args.map((arg) => arg.target), ...flags.flatMap((flag) => (flag.field ? [flag.field] : []))].map((f) => [f.name, f]));
        for (const [name, value] of Object.entries(computed)) {
          const field = byName.get(name) ?? fieldNamed(route, name);
          place(input, field, value);
        }
      }
      if (spec.secret && (secretFromStdin || !spec.secret.optional)) place(input, { name: spec.secret.field, source: 'body', schema: {}, required: true }, await readSecret(spec.secret.prompt, secretFromStdin));
      return requestOf(route, input);
    },
  };
}

/** A field `input` computes that no flag shows (e.g. revokeRole's `kind` and `id` path parameters). */
function fieldNamed(route: AdminRoute, name: string): Field {
  const source = (['params', 'query', 'body'] as const).find((part) => route[part] && name in ((route[part] as { shape?: object }).shape ?? {}));
  if (!source) throw new Error(`${route.operationId} has no input field ${name}`);
  return { name, source, schema: {}, required: false };
}
