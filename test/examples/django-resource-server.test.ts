/**
 * examples/django-resource-server in CI: the DRF API runs (Django's runserver, Debian's
 * python3-django / -djangorestframework / -jwt) against a running Gatehouse and answers as its
 * README says. Without Python/Django/DRF/PyJWT the file skips, loudly.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createApi, createMachineClient } from '../harness/fixtures.ts';
import { startServer, type TestServer } from '../harness/server.ts';
import { freePort } from '../harness/server-process.ts';
import { djangoPython } from '../imports/python.ts';

const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'django-resource-server');
const python = djangoPython(['django', 'rest_framework', 'jwt', 'cryptography']);
const skip = python.found ? false : `DRF example tests skipped: ${python.reason} (apt-get install python3-django python3-djangorestframework python3-jwt python3-cryptography)`;

let server: TestServer;
let api: string;
let otherApi: string;
let drf: ChildProcess | undefined;
let drfUrl: string;
let drfOutput = '';

before(async () => {
  if (skip) {
    process.stdout.write(`\n!! SKIPPED: ${skip}\n`);
    return;
  }
  server = await startServer();
  api = await createApi(server, ['invoices:read', 'invoices:write'], { claims: ['roles'] });
  otherApi = await createApi(server, ['invoices:read']);
  const port = await freePort();
  drfUrl = `http://127.0.0.1:${port}`;
  drf = spawn(python.command!, ['manage.py', 'runserver', `127.0.0.1:${port}`, '--noreload'], {
    cwd: EXAMPLE,
    env: { ...process.env, GATEHOUSE_ISSUER: server.url, GATEHOUSE_AUDIENCE: api, PYTHONDONTWRITEBYTECODE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  drf.stdout?.on('data', (chunk) => (drfOutput += chunk));
  drf.stderr?.on('data', (chunk) => (drfOutput += chunk));
  // Generous: Django starts slowly on a busy machine.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (drf.exitCode !== null) throw new Error(`runserver exited with ${drf.exitCode}: ${drfOutput}`);
    if (await fetch(`${drfUrl}/healthz`).then((response) => response.ok, () => false)) break;
    if (Date.now() > deadline) throw new Error(`runserver did not start: ${drfOutput}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
});
after(async () => {
  if (drf && drf.exitCode === null) {
    const exited = new Promise((resolve) => drf!.once('exit', resolve));
    drf.kill('SIGTERM');
    await exited;
  }
  await server?.close();
});

async function accessToken(client: { clientId: string; clientSecret: string }, resource: string, scope: string): Promise<string> {
  const response = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope }),
  });
  const body = (await response.json()) as { access_token?: string };
  assert.equal(response.status, 200, JSON.stringify(body));
  return body.access_token!;
}

const call = (path: string, token?: string, init: RequestInit = {}) =>
  fetch(`${drfUrl}${path}`, { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' } });

test('a client-credentials token for the API with the right scope is accepted; the answer names its client', { skip }, async () => {
  const client = await createMachineClient(server, api, ['invoices:read']);
  const response = await call('/invoices', await accessToken(client, api, 'invoices:read'));
  assert.equal(response.status, 200, drfOutput);
  assert.equal(((await response.json()) as { subject: string }).subject, client.clientId);
});

test('no token, a token for another API, or a tampered one: 401 with a Bearer challenge', { skip }, async () => {
  const missing = await call('/invoices');
  assert.equal(missing.status, 401);
  assert.match(missing.headers.get('www-authenticate') ?? '', /^Bearer/);
  const other = await createMachineClient(server, otherApi, ['invoices:read']);
  const foreign = await call('/invoices', await accessToken(other, otherApi, 'invoices:read'));
  assert.equal(foreign.status, 401, 'a token for another audience is refused');
  const client = await createMachineClient(server, api, ['invoices:read']);
  const token = await accessToken(client, api, 'invoices:read');
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, scope: 'invoices:read invoices:write' })).toString('base64url')}.${signature}`;
  assert.equal((await call('/invoices', forged, { method: 'POST', body: '{}' })).status, 401, 'a token with edited claims fails its signature');
  const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${payload}.`;
  assert.equal((await call('/invoices', unsigned)).status, 401, 'alg none is never accepted');
});

test('a missing scope or role is refused with 403; the scope or role that allows it gets through', { skip }, async () => {
  const reader = await createMachineClient(server, api, ['invoices:read']);
  const readOnly = await accessToken(reader, api, 'invoices:read');
  assert.equal((await call('/invoices', readOnly, { method: 'POST', body: '{"amount":"1.00"}' })).status, 403, 'invoices:write is missing');
  const writer = await createMachineClient(server, api, ['invoices:read', 'invoices:write']);
  const created = await call('/invoices', await accessToken(writer, api, 'invoices:read invoices:write'), { method: 'POST', body: '{"amount":"1.00"}' });
  assert.equal(created.status, 201);

  assert.equal((await call('/reports/total', readOnly)).status, 403, 'the billing:admin role is missing');
  const { rbac } = server.gatehouse.services;
  await rbac.createRole({ name: 'billing:admin', api });
  const admin = await createMachineClient(server, api, ['invoices:read']);
  await rbac.grant('billing:admin', { kind: 'client', id: admin.clientId });
  assert.equal((await call('/reports/total', await accessToken(admin, api, 'invoices:read'))).status, 200);
});
