/**
 * A CLI command and a server start load only what they need (issue 17: a command while the server
 * runs ≤ 1 s, a later embedded start ≤ 3 s). The CLI's command table imports every admin route
 * record, and the server every module of the application, so anything imported at the top of a
 * module loads with every command and every start. The packages below serve a few commands, one
 * mode or one feature, and are imported where they are used; this catches one coming back into
 * the static graph.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

const SRC = join(import.meta.dirname, '..', '..', '..', 'src');
const CLI = join(SRC, 'cli', 'main.ts');

/** Prints every module URL the process loads, on stderr. */
const RECORD_LOADS = `data:text/javascript,${encodeURIComponent(
  "import { registerHooks } from 'node:module'; import { writeSync } from 'node:fs'; registerHooks({ load(url, context, next) { writeSync(2, 'LOADED ' + url + '\\n'); return next(url, context); } });",
)}`;

/** The module URLs a fresh process loads running `args`. */
function loadedBy(args: string[]): string[] {
  const run = spawnSync(process.execPath, ['--import', RECORD_LOADS, ...args], { env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return run.stderr
    .split('\n')
    .filter((line) => line.startsWith('LOADED '))
    .map((line) => line.slice('LOADED '.length));
}

const packagesOf = (urls: string[]) => new Set(urls.map((url) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1]).filter((name) => name !== undefined));

/** Used by one command or by the server only: `apply`/`export` (yaml), Django hashes (bcrypt, argon2), sign-in and passkeys, federation, tracing, sealing. */
const NOT_FOR_EVERY_COMMAND = ['yaml', 'bcrypt', 'argon2', '@simplewebauthn/server', '@opentelemetry/api', 'openid-client', 'jose', 'ioredis', 'knex'];

test('`gatehouse keys list` and `users list` load none of the packages only other commands or the server use', () => {
  for (const command of [['keys', 'list', '--help'], ['users', 'list', '--help'], ['--help']]) {
    const loaded = loadedBy([CLI, ...command]);
    assert.ok(loaded.some((url) => url.endsWith('/src/admin/routes.ts')), 'control: the route records (and the modules they import) were loaded');
    const packages = packagesOf(loaded);
    assert.deepEqual(
      NOT_FOR_EVERY_COMMAND.filter((name) => packages.has(name)),
      [],
      `gatehouse ${command.join(' ')} loaded them`,
    );
  }
});

/**
 * Loaded when first used: passkeys (WebAuthn), services mode (ioredis), Django hashes (bcrypt),
 * apply/export (yaml), TOTP (otplib), upstream sign-in (openid-client). Each is resident memory an
 * idle server would otherwise hold (issue 17: idle RSS ≤ 1.2× bare oidc-provider).
 */
const NOT_AT_START = ['@simplewebauthn/server', 'ioredis', 'bcrypt', 'yaml', 'otplib', 'openid-client'];

test('the application loads no WebAuthn library, ioredis, bcrypt, YAML parser, otplib or openid-client until they are used, nor every rate-limiter store', () => {
  const script = `await import(${JSON.stringify(pathToFileURL(join(SRC, 'gatehouse.ts')).href)});`;
  const loaded = loadedBy(['--input-type=module', '-e', script]);
  assert.ok(loaded.some((url) => url.includes('/node_modules/oidc-provider/')), 'control: the application graph (oidc-provider) was loaded');
  const packages = packagesOf(loaded);
  assert.deepEqual(
    NOT_AT_START.filter((name) => packages.has(name)),
    [],
  );
  const limiterModules = loaded.filter((url) => url.includes('/node_modules/rate-limiter-flexible/'));
  assert.ok(limiterModules.length > 0, 'control: the rate limiters were loaded');
  assert.deepEqual(
    limiterModules.filter((url) => /RateLimiter(Mongo|MySQL|Postgres|Dynamo|Etcd|Memcache|Prisma|Drizzle|SQLite|Valkey)/.test(url)),
    [],
    'only the memory and Redis limiters',
  );
});
