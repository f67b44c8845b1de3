/**
 * The README's CLI blocks, run as written, top to bottom in one shell, against a server started
 * as the README starts it (embedded default). `npx gatehouse` is resolved to the package's bin
 * directly — what npx does, without npm's own second of start-up per call.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { storageMode } from '../harness/mode.ts';
import { TEST_ENV } from '../harness/server.ts';
import { clusterSecrets, startServerProcess } from '../harness/server-process.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const missingTools = ['bash', 'jq', 'curl'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
const skip =
  storageMode() === 'services'
    ? 'the README walks the embedded default; services mode runs the same commands through the other tests'
    : missingTools.length > 0
      ? `the README's blocks need ${missingTools.join(', ')}, not installed here`
      : false;

/** Every ```sh block that runs the CLI, in README order. */
function cliBlocks(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
    .map((match) => match[1] ?? '')
    .filter((block) => block.includes('npx gatehouse'))
    // Needs Debian's Django and the server stopped (a local command): test/imports/ runs it.
    .filter((block) => !block.includes('import django'))
    .join('\n');
}

test('every CLI block of the README runs verbatim, in order, against a running server', { skip }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-readme-'));
  const env = {
    ...TEST_ENV,
    ...clusterSecrets(),
    LOG_LEVEL: 'warn',
    GATEHOUSE_DATA_DIR: join(dataDir, 'data'),
    GATEHOUSE_KEYS_DIR: join(dataDir, 'keys'),
    GATEHOUSE_DCR_ENABLED: 'true',
  };
  const server = await startServerProcess(env);
  try {
    const shim = `npx() { if [ "$1" = gatehouse ]; then shift; "${process.execPath}" "${join(ROOT, 'src', 'cli', 'main.ts')}" "$@"; else command npx "$@"; fi; }`;
    const script = `set -euo pipefail\n${shim}\n${cliBlocks()}`;
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn('bash', ['-c', script], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', ...env, GATEHOUSE_ISSUER: server.url, PORT: new URL(server.url).port },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk) => (out += chunk));
      child.stderr.on('data', (chunk) => (err += chunk));
      child.on('close', (exit) => resolve({ code: exit, stdout: out, stderr: err }));
    });
    assert.equal(code, 0, `the README's blocks stopped:\n${stderr}\n--- stdout ---\n${stdout}`);
    for (const expected of [
      /created user you@example\.com \(id /,
      /client_secret: \S+\n\(shown once/,
      /created API https:\/\/api\.example\.com/,
      /"active":true,/,
      /"items":\[\{"id":/,
      /revoked \S+: removed from the JWKS now/,
      /granted role orders:admin to client \S+/,
      /audit chain intact: \d+ events verified/,
      /"registration_access_token"/,
      /revoked initial access token \S+/,
      /register this redirect URI at the upstream: http:\/\/127\.0\.0\.1:\d+\/federation\/acme\/callback/,
      /deleted identity provider github/,
    ]) {
      assert.match(stdout, expected);
    }
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
