/**
 * Renders docs/configuration.md from `environmentSchema`, so the reference cannot drift from the
 * code: variable names, types, enum values, ranges and defaults come from the zod schema, the
 * prose from its `.describe()` texts. Only "required in production" is listed by hand below,
 * because it lives in `loadConfig`'s guards rather than in the schema.
 *
 * @example
 * writeFileSync('docs/configuration.md', renderConfigurationDoc());
 */
import type { z } from 'zod';
import { environmentSchema } from './config.ts';

/** Mirrors the production guards in `loadConfig` (config.ts). */
export const REQUIRED_IN_PRODUCTION: Readonly<Record<string, string>> = {
  GATEHOUSE_ISSUER: 'yes, `https://`',
  DATABASE_URL: 'yes',
  REDIS_URL: 'yes',
  GATEHOUSE_KEY_ENCRYPTION_SECRET: 'yes',
  GATEHOUSE_COOKIE_KEYS: 'yes',
};

type Schema = z.core.$ZodType;

interface Field {
  name: string;
  type: string;
  defaultValue: string;
  requiredInProduction: string;
  description: string;
}

const code = (value: string) => `\`${value}\``;

function formatValue(value: unknown): string {
  if (typeof value === 'string') return code(value);
  if (Array.isArray(value)) return code(value.join(','));
  return code(String(value));
}

const BOOLEAN_SPELLINGS = ['true', 'false', '1', '0'];

function enumValues(entries: Record<string, string | number>): string {
  return [...new Set(Object.values(entries))].map((value) => code(String(value))).join(', ');
}

/** `one of …`, or `boolean (…)` for a flag spelled true/false/1/0 (object keys would list 0 and 1 first). */
function describeEnum(entries: Record<string, string | number>): string {
  const values = Object.values(entries).map(String);
  if (values.every((value) => BOOLEAN_SPELLINGS.includes(value))) {
    return `boolean: ${BOOLEAN_SPELLINGS.filter((value) => values.includes(value)).map(code).join(', ')}`;
  }
  return `one of ${enumValues(entries)}`;
}

/** The message of a `.refine(fn, 'message')` check, when it is a fixed string. */
function customCheckMessage(check: z.core.$ZodCheck<never>): string | undefined {
  const error = check._zod.def.error as ((issue: unknown) => unknown) | undefined;
  if (typeof error !== 'function') return undefined;
  try {
    const result = error({ code: 'custom', input: undefined, path: [] });
    if (typeof result === 'string') return result;
    if (result && typeof result === 'object' && 'message' in result && typeof result.message === 'string') return result.message;
  } catch {
    // a message that needs a real issue: nothing to show
  }
  return undefined;
}

function describeNumber(checks: ReadonlyArray<z.core.$ZodCheck<never>>): string {
  let integer = false;
  let lower: { value: unknown; inclusive: boolean } | undefined;
  let upper: { value: unknown; inclusive: boolean } | undefined;
  const rules: string[] = [];
  for (const check of checks) {
    const def = check._zod.def as z.core.$ZodChecks['_zod']['def'];
    switch (def.check) {
      case 'number_format':
        if (def.format === 'safeint' || def.format === 'int32' || def.format === 'uint32') integer = true;
        break;
      case 'greater_than':
        lower = { value: def.value, inclusive: def.inclusive };
        break;
      case 'less_than':
        // `.int()` alone caps at MAX_SAFE_INTEGER through number_format, not through less_than
        upper = { value: def.value, inclusive: def.inclusive };
        break;
      default: {
        const message = customCheckMessage(check);
        if (message) rules.push(message);
      }
    }
  }
  const parts = [integer ? 'integer' : 'number'];
  if (lower?.inclusive && upper?.inclusive) parts.push(`${String(lower.value)}–${String(upper.value)}`);
  else {
    const bounds: string[] = [];
    if (lower) bounds.push(`${lower.inclusive ? '≥' : '>'} ${String(lower.value)}`);
    if (upper) bounds.push(`${upper.inclusive ? '≤' : '<'} ${String(upper.value)}`);
    if (bounds.length > 0) parts.push(bounds.join(', '));
  }
  return [parts.join(' '), ...rules].join('; ');
}

/** The type an operator writes into the environment (the input side of every wrapper). */
function describeType(schema: Schema): string {
  const def = (unwrap(schema) as z.core.$ZodTypes)._zod.def;
  switch (def.type) {
    case 'pipe': {
      const input = describeType(def.in);
      const output = unwrap(def.out);
      // `.transform()` output carries no type; a parsed list is documented by its element values
      if (output._zod.def.type === 'array' && input === 'string') {
        const element = unwrap((output as z.core.$ZodArray)._zod.def.element);
        return element._zod.def.type === 'enum'
          ? `comma-separated list of ${enumValues((element as z.core.$ZodEnum)._zod.def.entries)}`
          : `comma-separated list of ${describeType(element)}`;
      }
      return input;
    }
    case 'transform':
      return 'any';
    case 'enum':
      return describeEnum(def.entries);
    case 'literal':
      return def.values.map((value) => formatValue(value)).join(', ');
    case 'string': {
      const format = 'format' in def && typeof def.format === 'string' ? def.format : undefined;
      if (format === 'url') return 'URL';
      return format ? `string (${format})` : 'string';
    }
    case 'number':
      return describeNumber(def.checks ?? []);
    case 'boolean':
      return 'boolean';
    default:
      return def.type;
  }
}

/** Strips wrappers that do not change what a value looks like. */
function unwrap(schema: Schema): Schema {
  const def = (schema as z.core.$ZodTypes)._zod.def;
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'prefault':
    case 'nullable':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return unwrap(def.innerType);
    default:
      return schema;
  }
}

/** The default applied to the raw environment value, wherever it sits on the input side. */
function findDefault(schema: Schema): { found: true; value: unknown } | { found: false } {
  const def = (schema as z.core.$ZodTypes)._zod.def;
  switch (def.type) {
    case 'default':
    case 'prefault':
      return { found: true, value: def.defaultValue };
    case 'optional':
    case 'nullable':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return findDefault(def.innerType);
    case 'pipe':
      return findDefault(def.in);
    default:
      return { found: false };
  }
}

function describeField(name: string, schema: Schema): Field {
  const description = (schema as z.ZodType).description;
  if (!description) throw new Error(`environmentSchema.${name} has no .describe() text`);
  const fallback = findDefault(schema);
  return {
    name,
    type: describeType(schema),
    defaultValue: fallback.found ? formatValue(fallback.value) : '—',
    requiredInProduction: REQUIRED_IN_PRODUCTION[name] ?? '—',
    description,
  };
}

/** Keeps a cell on one line and stops `|` from splitting it. */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
}

/** The schema's fields in declaration order. */
export function configurationFields(): Field[] {
  const shape = environmentSchema.shape as Record<string, Schema>;
  for (const name of Object.keys(REQUIRED_IN_PRODUCTION)) {
    if (!(name in shape)) throw new Error(`REQUIRED_IN_PRODUCTION names ${name}, which environmentSchema does not have`);
  }
  return Object.entries(shape).map(([name, schema]) => describeField(name, schema));
}

/** The whole of docs/configuration.md. */
export function renderConfigurationDoc(): string {
  const rows = configurationFields().map((field) =>
    `| ${[code(field.name), field.type, field.defaultValue, field.requiredInProduction, field.description].map(cell).join(' | ')} |`,
  );
  return [
    '<!-- Generated by `npm run docs:config` from environmentSchema in src/config.ts. Do not edit by hand. -->',
    '',
    '# Configuration',
    '',
    'Gatehouse reads its whole configuration from environment variables, validated once at start-up',
    '(`src/config.ts`); an invalid value stops the process with a message naming the variable.',
    'This page is generated from that schema by `npm run docs:config` (`src/config-docs.ts`) and must',
    'not be edited by hand: change the `.describe()` text in `src/config.ts` and regenerate.',
    '`.env.example` shows a starting point.',
    '',
    'Every variable is optional in development. With `NODE_ENV=production` the variables marked',
    '"required in production" must be set, and `loadConfig` refuses further unsafe settings (see the',
    'descriptions).',
    '',
    '| variable | type | default | required in production | description |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
