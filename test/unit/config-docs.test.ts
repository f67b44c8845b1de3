import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { environmentSchema } from '../../src/config.ts';
import { REQUIRED_IN_PRODUCTION, renderConfigurationDoc } from '../../src/config-docs.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const schemaNames = Object.keys(environmentSchema.shape);

function readRepoFile(path: string): string {
  try {
    return readFileSync(join(ROOT, path), 'utf8');
  } catch (error) {
    assert.fail(`${path} is missing (${(error as Error).message}); run \`npm run docs:config\``);
  }
}

test('docs/configuration.md is the freshly rendered schema', () => {
  const committed = readRepoFile('docs/configuration.md');
  // Compared as a boolean first: a long diff of the whole page would bury the instruction.
  assert.ok(
    committed === renderConfigurationDoc(),
    'docs/configuration.md is stale: it differs from environmentSchema in src/config.ts. Run `npm run docs:config` and commit the result.',
  );
});

test('every variable in .env.example exists in the schema', () => {
  const names = readRepoFile('.env.example')
    .split('\n')
    .map((line) => /^#?\s*([A-Z][A-Z0-9_]+)=/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
  assert.ok(names.length > 0, '.env.example names no variable');
  const unknown = names.filter((name) => !schemaNames.includes(name));
  assert.deepEqual(unknown, [], `.env.example names variables environmentSchema does not read: ${unknown.join(', ')}`);
});

test('every schema variable has a row in docs/configuration.md', () => {
  const committed = readRepoFile('docs/configuration.md');
  const rendered = renderConfigurationDoc();
  for (const [label, doc] of [['docs/configuration.md', committed], ['the rendered doc', rendered]] as const) {
    const missing = schemaNames.filter((name) => !doc.includes(`| \`${name}\` |`));
    assert.deepEqual(missing, [], `missing from ${label}: ${missing.join(', ')}; run \`npm run docs:config\``);
  }
});

test('the production-required list names only schema variables, and the doc marks them', () => {
  const doc = renderConfigurationDoc();
  for (const name of Object.keys(REQUIRED_IN_PRODUCTION)) {
    assert.ok(schemaNames.includes(name), `${name} is not in environmentSchema`);
    const row = doc.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));
    assert.ok(row?.split(' | ')[3]?.startsWith('yes'), `${name} is not marked as required in production`);
  }
});
