import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { renderConfigFileSchema } from '../../src/config-as-code/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const committed = readFileSync(join(ROOT, 'docs', 'gatehouse-config.schema.json'), 'utf8');

test('docs/gatehouse-config.schema.json is the freshly generated schema of apply files', () => {
  assert.ok(committed === renderConfigFileSchema(), 'docs/gatehouse-config.schema.json is stale: run `npm run docs:config` and commit the result.');
});

test('the published schema accepts the example files and refuses an unknown field and a missing key', () => {
  const validate = new Ajv2020({ strict: false }).compile(JSON.parse(committed));
  for (const example of ['examples/compose/gatehouse.yaml', 'examples/gatehouse.yaml']) {
    const file = parse(readFileSync(join(ROOT, example), 'utf8'));
    assert.ok(validate(file), `${example}: ${JSON.stringify(validate.errors)}`);
  }
  assert.equal(validate({ version: 1, clients: [{ clientId: 'x-app', name: 'x', type: 'public', grantTypes: ['authorization_code'], colour: 'blue' }] }), false);
  assert.equal(validate({ version: 1, apis: [{ name: 'no identifier' }] }), false);
  assert.equal(validate({ version: 1, clients: [{ clientId: 'x-app', name: 'x', type: 'confidential', grantTypes: ['client_credentials'], secret: 'inline' }] }), false, 'a secret is a reference, never a value');
});
