/**
 * A route record's input schemas → the command's positional arguments and flags: name, type,
 * choices, default, required-ness and help text all come from the zod schemas the server validates
 * with (as JSON Schema, the same projection the OpenAPI document uses). The CLI converts argv
 * strings to JSON types; the server still validates everything.
 */
import { z } from 'zod';
import type { AdminRoute } from '../admin/route.ts';
import type { ArgSpec, ExtraFlag, FlagSpec, OperationSpec } from './operation-spec.ts';

interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  default?: unknown;
  description?: string;
  anyOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  format?: string;
}

export type Source = 'params' | 'query' | 'body';

export interface Field {
  name: string;
  source: Source;
  /** The object field it belongs to, for flattened members. */
  parent?: string;
  schema: JsonSchema;
  required: boolean;
}

export type FlagKind = 'string' | 'integer' | 'number' | 'boolean' | 'list' | 'json' | 'duration' | 'secret';

export interface Flag {
  name: string;
  kind: FlagKind;
  description: string;
  valueName: string;
  required: boolean;
  field?: Field;
  itemKind?: 'string' | 'integer' | 'number';
  choices?: readonly string[];
  defaultValue?: unknown;
  spec?: FlagSpec;
  extra?: boolean;
}

export interface Arg extends ArgSpec {
  target: Field;
}

export interface CommandInterface {
  args: Arg[];
  flags: Flag[];
}

const kebab = (name: string) => name.replaceAll(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

/** JSON Schema of one input part, `$ref`s into `$defs` inlined. */
function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const root = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const defs = root.$defs ?? {};
  const inline = (node: JsonSchema): JsonSchema => {
    const { $ref, ...rest } = node;
    const target = $ref ? inline(defs[$ref.replace('#/$defs/', '')] ?? {}) : {};
    const merged: JsonSchema = { ...target, ...rest };
    if (merged.properties) merged.properties = Object.fromEntries(Object.entries(merged.properties).map(([key, value]) => [key, inline(value)]));
    if (merged.items) merged.items = inline(merged.items);
    if (merged.anyOf) merged.anyOf = merged.anyOf.map(inline);
    return merged;
  };
  return inline(root);
}

/** A nullable field's non-null alternative (e.g. an integer or null → the integer). */
function concrete(schema: JsonSchema): JsonSchema {
  if (Array.isArray(schema.type)) return { ...schema, type: schema.type.find((type) => type !== 'null') ?? 'string' };
  const alternative = schema.anyOf?.find((option) => option.type !== 'null');
  return alternative ? { ...alternative, description: schema.description, default: schema.default } : schema;
}

export function fieldsOf(route: AdminRoute, flatten: readonly string[] = []): Field[] {
  const fields: Field[] = [];
  for (const source of ['params', 'query', 'body'] as const) {
    const schema = route[source];
    if (!schema) continue;
    const json = jsonSchemaOf(schema);
    for (const [name, property] of Object.entries(json.properties ?? {})) {
      const required = source === 'params' || (json.required ?? []).includes(name);
      if (!flatten.includes(name)) {
        fields.push({ name, source, schema: concrete(property), required });
        continue;
      }
      const object = concrete(property);
      for (const [member, memberSchema] of Object.entries(object.properties ?? {})) {
        fields.push({ name: member, source, parent: name, schema: concrete(memberSchema), required: required && (object.required ?? []).includes(member) });
      }
    }
  }
  return fields;
}

function flagOf(field: Field, spec: FlagSpec | undefined): Flag {
  const { schema } = field;
  const base = {
    name: spec?.flag ?? kebab(field.name),
    description: spec?.description ?? schema.description ?? '',
    required: field.required,
    field,
    ...(spec ? { spec } : {}),
    ...(schema.default !== undefined && schema.default !== null ? { defaultValue: schema.default } : {}),
  };
  if (spec?.duration) return { ...base, kind: 'duration', valueName: '<duration>' };
  if (schema.type === 'boolean') return { ...base, kind: 'boolean', valueName: '' };
  if (schema.type === 'integer' || schema.type === 'number') return { ...base, kind: schema.type, valueName: '<n>' };
  if (schema.type === 'string') {
    const choices = schema.enum?.map(String);
    return { ...base, kind: 'string', valueName: choices ? `<${choices.join('|')}>` : schema.format === 'uri' ? '<url>' : '<text>', ...(choices ? { choices } : {}) };
  }
  const items = schema.items ? concrete(schema.items) : undefined;
  if (schema.type === 'array' && (spec?.fromList || ['string', 'integer', 'number'].includes(String(items?.type)))) {
    const choices = items?.enum?.map(String);
    const itemKind = (spec?.fromList ? 'string' : items?.type) as 'string' | 'integer' | 'number';
    return { ...base, kind: 'list', itemKind, valueName: choices ? `<${choices.join('|')}>,…` : '<a,b,…>', ...(choices ? { choices } : {}) };
  }
  return { ...base, kind: 'json', valueName: '<json>' };
}

/** The arguments and flags of an operation's command (route schemas + the command's spec). */
export function commandInterface(route: AdminRoute, spec: OperationSpec): CommandInterface {
  const fields = fieldsOf(route, spec.flatten);
  const byName = new Map(fields.map((field) => [field.name, field]));
  const positional = new Set((spec.args ?? []).map((arg) => arg.field));
  const hidden = new Set([...(spec.hide ?? []), ...(spec.secret ? [spec.secret.field] : []), ...positional]);
  const args = (spec.args ?? []).map((arg) => {
    const target = byName.get(arg.field);
    if (!target) throw new Error(`${spec.command}: argument ${arg.name} names no field of ${route.operationId}`);
    return { ...arg, target };
  });
  const flags: Flag[] = fields.filter((field) => !hidden.has(field.name)).map((field) => flagOf(field, spec.flags?.[field.name]));
  if (spec.secret) {
    const { flag, description } = spec.secret;
    flags.push({ name: flag, kind: 'secret', description, valueName: '', required: false });
  }
  for (const [name, extra] of Object.entries(spec.extraFlags ?? {})) flags.push(extraFlag(name, extra));
  const names = new Set<string>();
  for (const flag of flags) {
    if (names.has(flag.name)) throw new Error(`${spec.command}: two flags named --${flag.name}`);
    names.add(flag.name);
  }
  return { args, flags };
}

function extraFlag(name: string, extra: ExtraFlag): Flag {
  return {
    name,
    kind: extra.type === 'boolean' ? 'boolean' : 'string',
    description: extra.description,
    valueName: extra.type === 'boolean' ? '' : (extra.valueName ?? '<text>'),
    required: false,
    extra: true,
  };
}
