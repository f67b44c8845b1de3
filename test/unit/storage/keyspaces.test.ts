/**
 * Issue #23.2: nothing owns the key-value store but its keyspace modules (src/storage/keyspaces/).
 * Outside them no file spells a key (a string or template literal starting with a keyspace's
 * prefix) or calls the store with a key of its own (`kv.get(…)`, `kv.set(…)` …).
 */
import assert from 'node:assert/strict';
import { globSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { KEYSPACE_PREFIXES } from '../../../src/storage/keyspaces/index.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
/** The keyspace modules, and the two store implementations they sit on. */
const OWNERS = /^src\/storage\/(keyspaces\/|key-value(-redis|-memory)?\.ts$)/;
const STORE_METHODS = 'get|getMany|set|setIfAbsent|delete|addToSet|members|removeFromSet|takeSet';

function violations(files: Array<{ file: string; text: string }>): string[] {
  const prefixes = KEYSPACE_PREFIXES.map((prefix) => prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const keyLiteral = new RegExp(`['"\`](?:${prefixes})`);
  const rawStoreCall = new RegExp(`\\bkv\\??\\.(?:${STORE_METHODS})\\(`);
  const found: string[] = [];
  for (const { file, text } of files) {
    if (OWNERS.test(file)) continue;
    text.split('\n').forEach((line, index) => {
      if (keyLiteral.test(line)) found.push(`${file}:${index + 1}: key literal: ${line.trim()}`);
      if (rawStoreCall.test(line)) found.push(`${file}:${index + 1}: raw store call: ${line.trim()}`);
    });
  }
  return found;
}

test('every keyspace declares plain "name:" prefixes', () => {
  assert.ok(KEYSPACE_PREFIXES.length >= 5, 'oidc models, sessions and rate limits each declare their prefixes');
  for (const prefix of KEYSPACE_PREFIXES) assert.match(prefix, /^[a-z-]+:([a-z-]+:)?$/, `${prefix} is a plain "name:" prefix`);
});

test('no key-value key is spelled, and the store is not called, outside src/storage/keyspaces/', () => {
  const files = globSync('src/**/*.ts', { cwd: ROOT }).map((file) => ({ file, text: readFileSync(join(ROOT, file), 'utf8') }));
  assert.deepEqual(violations(files), [], 'add a verb to the keyspace module that owns the key instead');
});

test('the check catches a key literal and a raw store call (it is not vacuous)', () => {
  const planted = [
    { file: 'src/interactions/example.ts', text: "await kv.set(`session-activity:$" + "{uid}`, '1', 60);" },
    { file: 'src/sign-in/example.ts', text: "const key = 'signin-failures:' + digest;" },
    { file: 'src/storage/keyspaces/sessions.ts', text: 'kv.get(`session-activity:$" + "{uid}`)' },
  ];
  assert.deepEqual(
    violations(planted).map((line) => line.split(':').slice(0, 1)[0]),
    ['src/interactions/example.ts', 'src/interactions/example.ts', 'src/sign-in/example.ts'],
  );
});
