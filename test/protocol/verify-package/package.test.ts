/**
 * `@gatehouse/verify` as another service gets it: packed from packages/verify (its prepack runs
 * the build), installed from the tarball into an empty directory with no TypeScript, offline (its
 * one dependency, jose, from this checkout's own copy), type-checked as a consumer, and run on the
 * machine's own Node against a token from a running Gatehouse.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { createApi, createMachineClient, tokenRequest } from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..', '..');
const work = mkdtempSync(join(tmpdir(), 'gatehouse-verify-package-'));
const service = join(work, 'service');
/** The machine's Node (Debian's v20 here) when there is one: the package must not need type stripping. */
const SYSTEM_NODE = ['/usr/bin/node', '/usr/local/bin/node'].find(existsSync) ?? process.execPath;

let server: TestServer;
let audience: string;
let client: { clientId: string; clientSecret: string };
before(async () => {
  server = await startServer();
  audience = await createApi(server, ['invoices:read']);
  client = await createMachineClient(server, audience, ['invoices:read']);
  await run('npm', ['pack', '--pack-destination', work], { cwd: join(ROOT, 'packages', 'verify') });
  await run('npm', ['pack', '--pack-destination', work], { cwd: join(ROOT, 'node_modules', 'jose') });
  const tarballs = readdirSync(work).filter((file) => file.endsWith('.tgz'));
  mkdirSync(service, { recursive: true });
  writeFileSync(join(service, 'package.json'), JSON.stringify({ name: 'a-service', private: true, type: 'module' }));
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', ...tarballs.map((file) => join(work, file))], { cwd: service });
});
after(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

test('the tarball holds built JavaScript and declarations only, and installs without TypeScript', () => {
  const installed = join(service, 'node_modules', '@gatehouse', 'verify');
  const files = readdirSync(join(installed, 'dist')).sort();
  assert.deepEqual(files, ['dpop.d.ts', 'dpop.js', 'errors.d.ts', 'errors.js', 'index.d.ts', 'index.js']);
  assert.equal(existsSync(join(installed, 'src')), false);
  assert.equal(existsSync(join(service, 'node_modules', 'typescript')), false);
});

test('a TypeScript consumer type-checks against the installed declarations', async () => {
  writeFileSync(
    join(service, 'consumer.ts'),
    [
      "import { AccessTokenError, createAccessTokenVerifier, type VerifiedAccessToken } from '@gatehouse/verify';",
      "const verifier = createAccessTokenVerifier({ issuer: 'https://id.example.com', audience: 'https://api.example.com' });",
      "export async function check(header: string): Promise<VerifiedAccessToken | number> {",
      "  try { return await verifier.verifyRequest({ authorization: header, method: 'GET', url: 'https://api.example.com/x' }, { scopes: ['a'] }); }",
      '  catch (error) { if (error instanceof AccessTokenError) return error.status; throw error; }',
      '}',
    ].join('\n'),
  );
  writeFileSync(
    join(service, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2023', 'DOM'], strict: true, noEmit: true, types: [] }, files: ['consumer.ts'] }),
  );
  await run(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(service, 'tsconfig.json')], { cwd: service });
});

test(`the installed package verifies a real Gatehouse token on the machine's Node (${SYSTEM_NODE})`, async () => {
  const issued = await tokenRequest(server, { grant_type: 'client_credentials', scope: 'invoices:read' }, { id: client.clientId, secret: client.clientSecret });
  const script = join(service, 'check.mjs');
  writeFileSync(
    script,
    [
      "import { createAccessTokenVerifier } from '@gatehouse/verify';",
      'const [issuer, audience, token] = process.argv.slice(2);',
      'const verifier = createAccessTokenVerifier({ issuer, audience });',
      "try { const t = await verifier.verifyRequest({ authorization: 'Bearer ' + token, method: 'GET', url: 'http://api.test/' }, { scopes: ['invoices:read'] });",
      '  console.log(JSON.stringify({ ok: true, subject: t.subject, scopes: t.scopes, scheme: t.scheme })); }',
      'catch (error) { console.log(JSON.stringify({ ok: false, code: error.code, status: error.status })); }',
    ].join('\n'),
  );
  const check = async (audienceArg: string, token: string) =>
    JSON.parse((await run(SYSTEM_NODE, [script, server.url, audienceArg, token], { cwd: service })).stdout) as Record<string, unknown>;
  assert.deepEqual(await check(audience, String(issued.body.access_token)), { ok: true, subject: client.clientId, scopes: ['invoices:read'], scheme: 'Bearer' });
  assert.deepEqual(await check('https://another-api.example.test', String(issued.body.access_token)), { ok: false, code: 'invalid_token', status: 401 });
  assert.deepEqual(await check(audience, 'not.a.token'), { ok: false, code: 'invalid_token', status: 401 });
});
