/**
 * A CLI command loads only what it needs (issue 17: a command while the server runs ≤ 1 s): the
 * command table imports every admin route record, so anything those modules import at the top
 * loads with every command. The packages below serve a few commands or the server only and are
 * imported where they are used; this catches one coming back into the static graph.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

const CLI = join(import.meta.dirname, '..', '..', '..', 'src', 'cli', 'main.ts');

/** Prints every module URL the process loads, on stderr. */
const RECORD_LOADS = `data:text/javascript,${encodeURIComponent(
  "import { registerHooks } from 'node:module'; import { writeSync } from 'node:fs'; registerHooks({ load(url, context, next) { writeSync(2, 'LOADED ' + url + '\\n'); return next(url, context); } });",
)}`;

/** Used by one command or by the server only: `apply`/`export` (yaml), Django hashes (bcrypt, argon2), sign-in and passkeys, federation, tracing, sealing. */
const NOT_FOR_EVERY_COMMAND = ['yaml', 'bcrypt', 'argon2', '@simplewebauthn/server', '@opentelemetry/api', 'openid-client', 'jose', 'ioredis', 'knex'];

test('`gatehouse keys list` and `users list` load none of the packages only other commands or the server use', () => {
  for (const command of [['keys', 'list', '--help'], ['users', 'list', '--help'], ['--help']]) {
    const run = spawnSync(process.execPath, ['--import', RECORD_LOADS, CLI, ...command], { env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const loaded = run.stderr.split('\n').filter((line) => line.startsWith('LOADED '));
    assert.ok(loaded.some((line) => line.includes('/src/admin/routes.ts')), 'control: the route records (and the modules they import) were loaded');
    const packages = new Set(loaded.map((line) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(line)?.[1]).filter((name) => name !== undefined));
    assert.deepEqual(
      NOT_FOR_EVERY_COMMAND.filter((name) => packages.has(name)),
      [],
      `gatehouse ${command.join(' ')} loaded them`,
    );
  }
});
