/**
 * The Python recipe of docs/verifying-tokens.md, run exactly as written (extracted from the doc)
 * with Debian's python3 and PyJWT (python3-jwt, installed by .ci/run) against a running Gatehouse.
 * Without python3 + PyJWT the test skips, loudly.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createApi, createMachineClient } from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';
import { dpopKey } from '../dpop/proofs.ts';

const DOC = join(import.meta.dirname, '..', '..', '..', 'docs', 'verifying-tokens.md');
const recipe = /<!-- recipe: python -->\n```python\n([\s\S]*?)```/.exec(readFileSync(DOC, 'utf8'))?.[1];
/** Debian's interpreter first: a pyenv/virtualenv python3 earlier on PATH may not see python3-jwt. */
const PYTHON = ['/usr/bin/python3', 'python3'].find((candidate) => spawnSync(candidate, ['-c', 'import jwt, cryptography']).status === 0);
const skip = !PYTHON && 'python3 with PyJWT and cryptography not found: the Python recipe is NOT tested (apt-get install python3-jwt)';

let server: TestServer;
let audience: string;
let client: { clientId: string; clientSecret: string };
before(async () => {
  if (skip) {
    process.stdout.write(`\n!! SKIPPED: ${skip}\n`);
    return;
  }
  server = await startServer();
  audience = await createApi(server, ['invoices:read', 'invoices:write']);
  client = await createMachineClient(server, audience, ['invoices:read']);
});
after(() => server?.close());

function python(token: string, env: Record<string, string>, scopes: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(PYTHON!, ['-c', recipe!, ...scopes], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(token);
  });
}

const token = async (dpop?: string) => {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
    ...(dpop ? { dpop } : {}),
  };
  const response = await fetch(`${server.url}/token`, { method: 'POST', headers, body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'invoices:read' }) });
  return String(((await response.json()) as { access_token: string }).access_token);
};

test('the doc holds the Python recipe', { skip }, () => {
  assert.ok(recipe?.includes('PyJWKClient'));
});

test('PyJWT recipe: accepts a Gatehouse token for its API, refuses another audience, a missing scope and a DPoP-bound token', { skip }, async () => {
  const env = { GATEHOUSE_ISSUER: server.url, API_IDENTIFIER: audience };
  const good = await python(await token(), env, ['invoices:read']);
  assert.equal(good.code, 0, good.stderr);
  const claims = JSON.parse(good.stdout) as Record<string, unknown>;
  assert.equal(claims.sub, client.clientId);
  assert.equal(claims.aud, audience);

  const wrongAudience = await python(await token(), { ...env, API_IDENTIFIER: 'https://another.example.test' }, []);
  assert.notEqual(wrongAudience.code, 0);
  assert.match(wrongAudience.stderr, /InvalidAudienceError/);
  const weak = await python(await token(), env, ['invoices:write']);
  assert.notEqual(weak.code, 0);
  assert.match(weak.stderr, /insufficient_scope: invoices:write/);

  const key = await dpopKey();
  const bound = await python(await token(await key.proof({ htm: 'POST', htu: `${server.url}/token` })), env, []);
  assert.notEqual(bound.code, 0);
  assert.match(bound.stderr, /DPoP-bound token/);
});
