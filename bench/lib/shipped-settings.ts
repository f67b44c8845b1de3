/**
 * The runtime settings the production image ships, read from the Dockerfile so the bench starts
 * servers the way production does: memory-relevant variables set with ENV in the final stage
 * (NODE_OPTIONS, NODE_COMPILE_CACHE, MALLOC_*, UV_THREADPOOL_SIZE) and node flags in its exec-form CMD.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './process.ts';

const RUNTIME_VARIABLE = /^(NODE_OPTIONS|NODE_COMPILE_CACHE|MALLOC_\w+|UV_THREADPOOL_SIZE)$/;

export interface ShippedSettings {
  env: Record<string, string>;
  /** Node flags between `node` and the script in the CMD. */
  nodeArgs: string[];
  /** One line for the report: what was applied, or that the Dockerfile ships none. */
  description: string;
}

/** `KEY=value KEY2="two words"` pairs of one ENV instruction. */
function envPairs(text: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const match of text.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g)) {
    const raw = match[2]!;
    pairs.push([match[1]!, /^["']/.test(raw) ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw]);
  }
  return pairs;
}

export function shippedSettings(dockerfile = join(ROOT, 'Dockerfile')): ShippedSettings {
  let text: string;
  try {
    text = readFileSync(dockerfile, 'utf8');
  } catch {
    return { env: {}, nodeArgs: [], description: 'no Dockerfile found: Node defaults' };
  }
  // Continuation lines joined; only the final stage (after the last FROM) is what runs.
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  const lastFrom = lines.map((line) => /^\s*FROM\s/i.test(line)).lastIndexOf(true);
  const env: Record<string, string> = {};
  let nodeArgs: string[] = [];
  for (const line of lines.slice(Math.max(0, lastFrom))) {
    const instruction = /^\s*(ENV|CMD)\s+(.*)$/i.exec(line);
    if (!instruction) continue;
    if (instruction[1]!.toUpperCase() === 'ENV') {
      for (const [key, value] of envPairs(instruction[2]!)) if (RUNTIME_VARIABLE.test(key)) env[key] = value;
    } else if (instruction[2]!.trim().startsWith('[')) {
      const argv = JSON.parse(instruction[2]!) as string[];
      if (argv[0] === 'node') nodeArgs = argv.slice(1).filter((arg) => arg.startsWith('-'));
    }
  }
  const applied = [...Object.entries(env).map(([key, value]) => `${key}=${value}`), ...nodeArgs];
  return {
    env,
    nodeArgs,
    description: applied.length
      ? `started with the Dockerfile's settings: ${applied.join(' ')}`
      : 'the Dockerfile ships no NODE_OPTIONS, MALLOC_ARENA_MAX or node flags: Node and glibc defaults',
  };
}
