/**
 * The configuration file: `version: 1` and one list per kind (kinds/index.ts), each entry the
 * admin API's own input schema plus its key. Published as JSON Schema in
 * docs/gatehouse-config.schema.json (`npm run docs:config`; a test fails when it is stale), so
 * editors can validate and complete files.
 */
import { z } from 'zod';
import type { Kind } from './kind.ts';

export const CONFIG_FILE_VERSION = 1;

export function configFileSchema(kinds: readonly Kind[]) {
  const lists = Object.fromEntries(kinds.map((kind) => [kind.key, z.array(kind.entry).default([]).describe(kind.description)]));
  return z
    .object({
      $schema: z.string().optional().describe('The JSON Schema of this file, for editors.'),
      version: z.literal(CONFIG_FILE_VERSION).describe('The file format’s version.'),
      ...lists,
    })
    .strict()
    .superRefine((file, ctx) => {
      for (const kind of kinds) {
        const seen = new Map<string, number>();
        ((file as Record<string, unknown>)[kind.key] as unknown[]).forEach((item, index) => {
          const id = kind.idOf(item as never);
          const first = seen.get(id);
          if (first !== undefined) ctx.addIssue({ code: 'custom', path: [kind.key, index], message: `${kind.label} ${id} is listed twice (also at ${kind.key}[${first}])` });
          else seen.set(id, index);
        });
      }
    });
}

export type ConfigFile = Record<string, unknown[]> & { version: number };

/** The JSON Schema (2020-12) of the file, as published under docs/. */
export function configJsonSchema(kinds: readonly Kind[]): Record<string, unknown> {
  const schema = z.toJSONSchema(configFileSchema(kinds), { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    title: 'Gatehouse configuration (gatehouse apply -f)',
    ...Object.fromEntries(Object.entries(schema).filter(([key]) => key !== '$schema')),
  };
}
