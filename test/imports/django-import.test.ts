/**
 * Issue #22, end to end: a real Django project (Debian's python3-django, -django-allauth,
 * -argon2, -bcrypt) creates its users through django.contrib.auth with several hashers, groups,
 * a staff user, verified and unverified emails and a django-oauth-toolkit-shaped application
 * table (test/imports/django-project). `gatehouse import django` brings them over; each user
 * then signs in with their Django password through Gatehouse's real login page, after which the
 * stored hash is argon2id. In services mode the Django project itself runs on Postgres (when
 * python3-psycopg2 is there), so both readers are exercised. Without Python/Django the file
 * skips, loudly.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as oidc from 'openid-client';
import pg from 'pg';
import { loadConfig } from '../../src/config.ts';
import { openStorage } from '../../src/storage/index.ts';
import { Browser } from '../harness/browser.ts';
import { authorizationRequestUrl, REDIRECT_URI } from '../harness/fixtures.ts';
import { storageEnv, storageMode } from '../harness/mode.ts';
import { TEST_ENV } from '../harness/server.ts';
import { clusterSecrets, freePort, type ServerProcess, startServerProcess } from '../harness/server-process.ts';
import { djangoPython } from './python.ts';

const PROJECT = join(import.meta.dirname, 'django-project');
const CLI = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const API = 'https://billing.example.test';
const GATEHOUSE_OWN_PASSWORD = 'a gatehouse-only passphrase 42';

const python = djangoPython(['django', 'allauth', 'argon2', 'bcrypt']);
const skip = python.found ? false : `Django import tests skipped: ${python.reason} (apt-get install python3-django python3-django-allauth python3-argon2 python3-bcrypt)`;

interface Seeded {
  users: Record<string, { email: string; password: string | null; hash: string }>;
  clients: Record<string, string>;
}

const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-django-'));
let env: Record<string, string>;
let server: ServerProcess;
let seeded: Seeded;
let sourceArgs: string[];
let djangoDatabase: string | undefined;

function run(command: string, args: string[], options: { env?: Record<string, string>; stdin?: string } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(command, args, { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'], cwd: PROJECT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}
async function cli(args: string[], stdin?: string) {
  const result = await run(process.execPath, [CLI, ...args], { env, ...(stdin !== undefined ? { stdin } : {}) });
  assert.equal(result.code, 0, `gatehouse ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}
const IMPORT = () => ['import', 'django', ...sourceArgs, '--staff-role', 'staff', '--superuser-role', 'admin', '--client-resources', API, '--client-scopes', 'openid,email,profile,offline_access,invoices:read', '--json'];
/**
 * `import django` is a local command: in embedded mode the running server owns the data
 * directory, so the operator stops it for the import (as the README says) and starts it again.
 */
async function importDjango(extra: string[] = []) {
  const embedded = storageMode() === 'embedded';
  if (embedded) await server.stop();
  try {
    return parseReport(await cli([...IMPORT(), ...extra]));
  } finally {
    if (embedded) server = await startServerProcess(env);
  }
}
function parseReport(raw: string) {
  return JSON.parse(raw) as {
    users: Record<string, number>;
    groups: Record<string, number>;
    clients: Record<string, number>;
    memberships: { add: number; remove: number };
    roles: { create: string[]; grant: number; revoke: number };
    hashes: Record<string, number>;
    socialLinks: { inSource: number; status: string };
    issues: Array<{ kind: string; key: string; code: string; imported: boolean }>;
    passwordResets: Array<{ email: string; algorithm: string; mailed?: boolean }>;
  };
}

/** A Postgres database for the Django project, next to this process's Gatehouse database. */
async function djangoPostgres(): Promise<string | undefined> {
  if (storageMode() !== 'services' || !djangoPython(['psycopg2']).found) return undefined;
  const url = new URL((await storageEnv()).DATABASE_URL!);
  const name = `${url.pathname.slice(1)}_django`;
  const admin = new pg.Client({ connectionString: url.href });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  url.pathname = `/${name}`;
  return url.href;
}

before(async () => {
  if (skip) {
    process.stdout.write(`\n!! SKIPPED: ${skip}\n`);
    return;
  }
  djangoDatabase = await djangoPostgres();
  const database = djangoDatabase ?? join(dataDir, 'django.sqlite3');
  sourceArgs = djangoDatabase ? ['--database', djangoDatabase] : ['--sqlite', database];
  const djangoEnv = { DJANGO_DATABASE: database };
  const migrated = await run(python.command!, ['manage.py', 'migrate', '-v', '0'], { env: djangoEnv });
  assert.equal(migrated.code, 0, migrated.stderr);
  const seed = await run(python.command!, ['seed.py'], { env: djangoEnv });
  assert.equal(seed.code, 0, seed.stderr);
  seeded = JSON.parse(seed.stdout) as Seeded;

  // The CLI mails reset links too (in services mode it runs on its own): same issuer as the server.
  const port = await freePort();
  env = {
    ...TEST_ENV,
    ...(await storageEnv()),
    ...clusterSecrets(),
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_KEYS_DIR: join(dataDir, 'keys'),
    PORT: String(port),
    GATEHOUSE_ISSUER: `http://127.0.0.1:${port}`,
  };
  server = await startServerProcess(env);
  // A Gatehouse account that exists before the import, with an email a Django user also has.
  await cli(['users', 'create', '--email', 'taken@example.test', '--password-stdin', '--verified'], GATEHOUSE_OWN_PASSWORD);
  await cli(['apis', 'create', '--identifier', API, '--name', 'Billing API', '--scopes', 'invoices:read']);
});
after(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function mailsTo(email: string): Array<{ subject: string; text: string }> {
  const dir = join(dataDir, 'outbox');
  const files = (() => {
    try {
      return readdirSync(dir).sort();
    } catch {
      return [];
    }
  })();
  return files.map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8'))).filter((mail) => mail.to === email);
}

/** The sign-in page of the imported "Web portal" app (first-party: no consent page), submitted. */
async function signIn(email: string, password: string) {
  const browser = new Browser();
  const verifier = oidc.randomPKCECodeVerifier();
  const url = await authorizationRequestUrl(server.url, 'web-portal', verifier, { prompt: undefined, scope: 'openid email' });
  const page = await browser.follow(url, server.url);
  const html = await page.response!.text();
  const step = await browser.submitForm({ url: server.url, html }, /\/login$/, { email, password }, server.url);
  const body = step.response ? await step.response.text() : '';
  return { status: step.response?.status, body, callback: step.leftTo, verifier, browser };
}

async function tokenRequest(body: Record<string, string>, client: string, secret: string) {
  const response = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client}:${secret}`).toString('base64')}` },
    body: new URLSearchParams(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

test('the dry run reports counts, conflicts and refused hashes, and writes nothing', { skip }, async () => {
  const report = await importDjango();
  assert.deepEqual(
    { create: report.users.create, skipped: report.users.skipped },
    { create: 9, skipped: 3 },
    'ada, grace, linus, ken, barbara, margaret, olduser, inactive, social; ADA@ (duplicate), taken@ (conflict), noemail skipped',
  );
  assert.deepEqual(report.hashes, { pbkdf2_sha256: 2, argon2: 1, bcrypt_sha256: 1, bcrypt: 1, pbkdf2_sha1: 1, scrypt: 1 });
  const codes = report.issues.map((issue) => `${issue.kind}:${issue.key}:${issue.code}`).sort();
  assert.ok(codes.includes('client:legacy-password:unsupported_grant'));
  assert.ok(codes.includes('client:insecure-app:invalid_client'));
  assert.deepEqual(
    report.issues.filter((issue) => issue.kind === 'user').map((issue) => issue.code).sort(),
    ['duplicate_email', 'email_taken', 'no_email'],
  );
  assert.deepEqual(report.passwordResets.map((reset) => [reset.email, reset.algorithm]), [['old@example.test', 'md5']]);
  assert.equal(report.socialLinks.inSource, 1);
  assert.match(report.socialLinks.status, /no identity provider configured for google/);
  const users = JSON.parse(await cli(['users', 'list', '--json'])) as Array<{ email: string }>;
  assert.deepEqual(users.map((user) => user.email), ['taken@example.test'], 'nothing written');
  assert.deepEqual(mailsTo('old@example.test'), [], 'no mail in a dry run');
});

test('--commit imports users, groups, roles and clients and mails a reset to the md5 user; re-running changes nothing', { skip }, async () => {
  // allauth's Google account of "social" becomes a link to the Google provider configured here.
  await cli(['idp', 'create', '--name', 'google', '--preset', 'google', '--client-id', 'import-test.apps.googleusercontent.com', '--client-secret-stdin'], 'a-client-secret');
  const report = await importDjango(['--commit']);
  assert.match(report.socialLinks.status, /1 linked to upstream identity providers \(google\)/);
  assert.equal(report.users.create, 9);
  assert.deepEqual(report.roles.create.sort(), ['admin', 'staff']);
  assert.deepEqual({ create: report.clients.create, skipped: report.clients.skipped }, { create: 3, skipped: 2 });
  assert.deepEqual(report.passwordResets.map((reset) => reset.mailed), [true]);
  assert.equal(mailsTo('old@example.test').filter((mail) => /reset your password/i.test(mail.subject)).length, 1);

  const users = JSON.parse(await cli(['users', 'list', '--json'])) as Array<{ email: string; emailVerified: boolean; roles: string[] }>;
  const byEmail = new Map(users.map((user) => [user.email, user]));
  assert.deepEqual(byEmail.get('ada@example.test')?.roles, ['staff']);
  assert.deepEqual(byEmail.get('grace@example.test')?.roles, ['admin', 'staff']);
  assert.equal(byEmail.get('linus@example.test')?.emailVerified, false, 'allauth: unverified (and the email lower-cased)');
  assert.equal(byEmail.get('ada@example.test')?.emailVerified, true);
  const groups = JSON.parse(await cli(['groups', 'list', '--json'])) as Array<{ name: string }>;
  assert.deepEqual(groups.map((group) => group.name).sort(), ['Editors', 'Support-team']);
  const snapshot = async () => [await cli(['users', 'list', '--json']), await cli(['groups', 'list', '--json']), await cli(['clients', 'list', '--json'])];
  const before = await snapshot();

  const again = await importDjango(['--commit']);
  assert.deepEqual(
    [again.users.create, again.users.update, again.clients.create, again.clients.update, again.groups.create, again.memberships.add, again.memberships.remove, again.roles.grant, again.roles.revoke],
    [0, 0, 0, 0, 0, 0, 0, 0, 0],
  );
  assert.equal(again.issues.find((issue) => issue.key === '10')?.code, 'email_taken', 'the conflict is reported again, not overwritten');
  assert.deepEqual(await snapshot(), before, 'users, groups and clients are exactly as before');
  assert.equal(mailsTo('old@example.test').length, 1, 'no second reset mail');
});

test('every imported user signs in with their Django password through the login page', { skip }, async () => {
  for (const name of ['ada', 'ken', 'barbara', 'margaret']) {
    const { email, password } = seeded.users[name]!;
    const result = await signIn(email, password!);
    assert.ok(result.callback, `${name} (${seeded.users[name]!.hash}) is sent back to the app: ${result.status} ${result.body.slice(0, 200)}`);
    const code = result.callback.searchParams.get('code')!;
    const tokens = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: result.verifier }, 'web-portal', seeded.clients['web-portal']!);
    assert.equal(tokens.status, 200, 'the imported web portal redeems the code with its old (plain) DOT secret');
    assert.ok(tokens.body.id_token);
  }
  const grace = await signIn('grace@example.test', seeded.users.grace!.password!);
  assert.match(grace.body, /\/mfa\/enrol"/, 'the superuser (role admin) is asked to set up a second factor after a correct password');
  const linus = await signIn('linus@example.test', seeded.users.linus!.password!);
  assert.equal(linus.status, 403, `the unverified email is asked to verify after a correct password: ${linus.body.slice(0, 600)}`);
});

test('refused and disabled accounts fail exactly like a wrong password; the reset mail lets the md5 user in', { skip }, async () => {
  const wrong = await signIn('ada@example.test', 'not-adas-password');
  assert.equal(wrong.status, 401);
  assert.match(wrong.body, /Email or password is incorrect/);
  for (const [email, password] of [
    ['old@example.test', seeded.users.olduser!.password!],
    ['inactive@example.test', seeded.users.inactive!.password!],
    ['taken@example.test', seeded.users.taken!.password!],
    ['social@example.test', 'anything at all'],
  ] as const) {
    const result = await signIn(email, password);
    assert.deepEqual([result.status, /Email or password is incorrect/.test(result.body)], [401, true], email);
  }
  const own = await signIn('taken@example.test', GATEHOUSE_OWN_PASSWORD);
  assert.ok(own.callback, 'the Gatehouse account that had the email first is untouched');

  const link = /(http\S+\?token=\S+)/.exec(mailsTo('old@example.test')[0]!.text)![1]!;
  const browser = new Browser();
  const page = await browser.follow(link, server.url);
  const newPassword = 'a brand new passphrase 77 zebra';
  const done = await browser.submitForm({ url: server.url, html: await page.response!.text() }, '/password/reset', { password: newPassword }, server.url);
  assert.match(await done.response!.text(), /password was changed/);
  assert.ok((await signIn('old@example.test', newPassword)).callback);
});

test('an imported DOT secret hashed by Django works at the token endpoint; a wrong one does not', { skip }, async () => {
  const wrong = await tokenRequest({ grant_type: 'client_credentials', resource: API, scope: 'invoices:read' }, 'billing-service', 'not-the-secret');
  assert.equal(wrong.status, 401);
  const token = await tokenRequest({ grant_type: 'client_credentials', resource: API, scope: 'invoices:read' }, 'billing-service', seeded.clients['billing-service']!);
  assert.equal(token.status, 200, JSON.stringify(token.body));
  const again = await tokenRequest({ grant_type: 'client_credentials', resource: API, scope: 'invoices:read' }, 'billing-service', seeded.clients['billing-service']!);
  assert.equal(again.status, 200, 'and keeps working once re-stored as a digest');
});

test('after the sign-ins a re-run changes nothing, and the stored hashes are argon2id (the Django ones are gone)', { skip }, async () => {
  const report = await importDjango(['--commit']);
  assert.deepEqual([report.users.create, report.users.update, report.clients.update], [0, 0, 0]);
  await server.stop();
  const storage = await openStorage(loadConfig({ ...TEST_ENV, ...env }));
  try {
    const rows = (await storage.db('users').select('email', 'password_hash')) as Array<{ email: string; password_hash: string }>;
    const hashOf = new Map(rows.map((row) => [row.email, row.password_hash]));
    for (const email of ['ada@example.test', 'grace@example.test', 'linus@example.test', 'ken@example.test', 'barbara@example.test', 'margaret@example.test', 'old@example.test']) {
      assert.match(hashOf.get(email)!, /^\$argon2id\$/, email);
    }
    assert.match(hashOf.get('inactive@example.test')!, /^pbkdf2_sha256\$/, 'a disabled account is never upgraded: it never signed in');
    const billing = await storage.queries.clients.find('billing-service');
    assert.match(String(billing?.client_secret), /^sha256:/, 'the DOT secret was re-stored as Gatehouse’s digest');
  } finally {
    await storage.close();
  }
});
