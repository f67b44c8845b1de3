/**
 * Writes docs/configuration.md from the environment schema (`npm run docs:config`).
 * With `--check` it writes nothing and exits 1 when the file is missing or differs.
 *
 *   node src/cli/generate-config-docs.ts [--check]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { renderConfigurationDoc } from '../config-docs.ts';

const CONFIGURATION_DOC_PATH = join(import.meta.dirname, '..', '..', 'docs', 'configuration.md');

function readCurrent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
const rendered = renderConfigurationDoc();
const current = readCurrent(CONFIGURATION_DOC_PATH);
const shown = relative(process.cwd(), CONFIGURATION_DOC_PATH) || CONFIGURATION_DOC_PATH;

if (values.check) {
  if (current !== rendered) {
    process.stderr.write(`${shown} is ${current === undefined ? 'missing' : 'out of date'}: run \`npm run docs:config\`\n`);
    process.exit(1);
  }
  process.stdout.write(`${shown} is up to date\n`);
} else if (current === rendered) {
  process.stdout.write(`${shown} is already up to date\n`);
} else {
  writeFileSync(CONFIGURATION_DOC_PATH, rendered);
  process.stdout.write(`wrote ${shown}\n`);
}
