/**
 * Writes docs/configuration.md from the environment schema and docs/gatehouse-config.schema.json
 * (the JSON Schema of `gatehouse apply` files) from the configuration-as-code schemas
 * (`npm run docs:config`). With `--check` it writes nothing and exits 1 when a file is missing or differs.
 *
 *   node src/cli/generate-config-docs.ts [--check]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { renderConfigFileSchema } from '../config-as-code/index.ts';
import { renderConfigurationDoc } from '../config-docs.ts';

const DOCS = join(import.meta.dirname, '..', '..', 'docs');

function readCurrent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
let stale = false;
for (const [path, rendered] of [
  [join(DOCS, 'configuration.md'), renderConfigurationDoc()],
  [join(DOCS, 'gatehouse-config.schema.json'), renderConfigFileSchema()],
] as const) {
  const current = readCurrent(path);
  const shown = relative(process.cwd(), path) || path;
  if (values.check) {
    if (current !== rendered) {
      process.stderr.write(`${shown} is ${current === undefined ? 'missing' : 'out of date'}: run \`npm run docs:config\`\n`);
      stale = true;
    } else process.stdout.write(`${shown} is up to date\n`);
  } else if (current === rendered) {
    process.stdout.write(`${shown} is already up to date\n`);
  } else {
    writeFileSync(path, rendered);
    process.stdout.write(`wrote ${shown}\n`);
  }
}
if (stale) process.exit(1);
