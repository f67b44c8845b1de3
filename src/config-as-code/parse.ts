/**
 * Reads a configuration file — YAML, or JSON (which YAML 1.2 reads as it is) — and validates it
 * against the file schema. Every problem is reported with the line and column it is on, as an
 * editor would show it: `gatehouse.yaml:12:7: clients[0].grantTypes[1]: Invalid option …`.
 */
import { isCollection, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import type { ConfigFile } from './schema.ts';

/** The file could not be read as a configuration file; `problems` are one line each. */
export class ConfigFileInvalid extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join('\n'));
    this.problems = problems;
  }
}

const pathText = (path: ReadonlyArray<PropertyKey>) =>
  path.reduce<string>((text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part)), '');

export function parseConfigFile(text: string, sourceName: string, schema: z.ZodType): ConfigFile {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return `${sourceName}:${line}:${col}`;
  };
  if (document.errors.length > 0) {
    throw new ConfigFileInvalid(document.errors.map((error) => `${at(error.pos[0])}: ${error.message.split('\n')[0]}`));
  }
  const value: unknown = document.toJS({ maxAliasCount: 100 });
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data as ConfigFile;

  /** The deepest node of the path that exists: a missing field is reported on its parent. */
  const offsetOf = (path: readonly PropertyKey[]): number => {
    for (let depth = path.length; depth >= 0; depth--) {
      const keys = path.slice(0, depth) as Array<string | number>;
      const node = keys.length === 0 ? document.contents : document.getIn(keys, true);
      if (node && typeof node === 'object' && 'range' in node && Array.isArray(node.range)) {
        // A collection is pointed at where it starts; a key that is not allowed, at the key.
        return (node.range as number[])[0] ?? 0;
      }
    }
    return 0;
  };
  const problems = parsed.error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => {
        const collection = issue.path.length === 0 ? document.contents : document.getIn(issue.path as Array<string | number>, true);
        const pair = isCollection(collection) ? (collection.items as Array<{ key?: { range?: number[] } | null }>).find((item) => String((item.key as { value?: unknown } | null)?.value) === key) : undefined;
        const offset = pair?.key?.range?.[0] ?? offsetOf(issue.path);
        return `${at(offset)}: ${pathText([...issue.path, key])}: unknown field`;
      });
    }
    const where = pathText(issue.path);
    return [`${at(offsetOf(issue.path))}: ${where ? `${where}: ` : ''}${issue.message}`];
  });
  throw new ConfigFileInvalid(problems);
}
