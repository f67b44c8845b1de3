/**
 * One kind of object a configuration file can hold (clients, APIs, roles, …): its entry schema,
 * how to read the current ones, compare, create, change and delete them — each through admin
 * requests. A new kind (identity providers) is a file in kinds/ and one line in kinds/index.ts;
 * the file schema, the plan, apply, export and the published JSON Schema pick it up.
 */
import type { z } from 'zod';
import type { AdminClient } from './admin-client.ts';

export interface ApplyContext {
  admin: AdminClient;
  /** The value of a secret the file references (`{ env }` or `{ file }`); throws naming what is missing. */
  resolveSecret(reference: SecretReference): Promise<string>;
}

export type SecretReference = { env: string; overlapSeconds?: number | undefined } | { file: string; overlapSeconds?: number | undefined };

export interface Current<E> {
  id: string;
  entry: E;
}

export interface Kind<E = Record<string, unknown>> {
  /** The file's top-level key, e.g. `clients`. */
  key: string;
  /** One of them, for people: `client`. */
  label: string;
  entry: z.ZodType<E>;
  /** Why this kind, shown in the JSON Schema. */
  description: string;
  idOf(entry: E): string;
  /** The ones configuration as code manages (built-in and self-registered ones left out), as file entries. */
  current(ctx: ApplyContext): Promise<Array<Current<E>>>;
  /** Names of the fields that differ (besides what `sameFields` compares), e.g. a referenced secret that changed. */
  extraDifferences?(desired: E, current: Current<E>, ctx: ApplyContext): Promise<string[]>;
  /** A change the admin API cannot make, as a sentence for the operator (the plan is refused). */
  impossible?(desired: E, current: Current<E>, fields: readonly string[]): string | undefined;
  /** What is compared (default: the entry): effective values, without what the server never shows (secrets). */
  comparable?(entry: E): Record<string, unknown>;
  /** Fields compared as sets (order carries no meaning). */
  setFields?: readonly string[];
  /** Each returns lines to print once (a generated secret or token), or none. */
  create(desired: E, ctx: ApplyContext): Promise<string[]>;
  update(desired: E, current: Current<E>, fields: readonly string[], ctx: ApplyContext): Promise<string[]>;
  remove(id: string, ctx: ApplyContext): Promise<void>;
  /** The entry as export writes it: defaults left out, so files stay short. */
  exported(entry: E): Record<string, unknown>;
}

/** The fields of two entries (same kind, both parsed by its schema) that differ. */
export function differingFields(desired: Record<string, unknown>, current: Record<string, unknown>, sets: readonly string[] = []): string[] {
  const names = new Set([...Object.keys(desired), ...Object.keys(current)]);
  return [...names].filter((name) => canonical(desired[name], sets.includes(name)) !== canonical(current[name], sets.includes(name))).sort();
}

function canonical(value: unknown, asSet: boolean): string {
  if (value === undefined || value === null) return 'null';
  if (Array.isArray(value)) {
    const items = value.map((item) => canonical(item, false));
    return `[${(asSet ? [...new Set(items)].sort() : items).join(',')}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v, false)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** An entry without the fields that hold their default (false, [], null): what export writes. */
export function withoutDefaults(entry: Record<string, unknown>, keep: readonly string[] = []): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(entry).filter(
      ([name, value]) => keep.includes(name) || !(value === undefined || value === null || value === false || (Array.isArray(value) && value.length === 0)),
    ),
  );
}
