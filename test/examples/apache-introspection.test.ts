/**
 * Issue 16 §1 acceptance with a real third party: Debian's Apache with mod_auth_openidc as an
 * OAuth 2.0 resource server (`AuthType oauth20`, `OIDCOAuthIntrospectionEndpoint`), protecting a
 * location with the API's own introspection credentials. A valid token gets 200; the same token
 * after its grant is revoked gets 401 (introspection results are not cached, as a gateway that
 * wants revocation at once is configured).
 *
 * mod_auth_openidc only calls an https introspection endpoint, so the test puts a TLS proxy
 * (node:https with a throwaway self-signed certificate from openssl) in front of Gatehouse.
 * Without apache2, the module or openssl, or when Apache does not start, the file skips loudly.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startServer, type TestServer } from '../harness/server.ts';
import { freePort } from '../harness/server-process.ts';
import { waitFor } from '../harness/wait.ts';
import { createApiWithScopes, secretCredentials, userWithApp } from '../protocol/introspection/setup.ts';

const MODULES = '/usr/lib/apache2/modules';
const APACHE = '/usr/sbin/apache2';

function missingPrerequisite(): string | undefined {
  if (!existsSync(APACHE)) return `${APACHE} not found (apt-get install apache2)`;
  if (!existsSync(join(MODULES, 'mod_auth_openidc.so'))) return 'mod_auth_openidc not found (apt-get install libapache2-mod-auth-openidc)';
  if (spawnSync('openssl', ['version']).status !== 0) return 'openssl not found (apt-get install openssl)';
  return undefined;
}

let skipReason = missingPrerequisite();
let server: TestServer | undefined;
let tlsProxy: HttpsServer | undefined;
let apache: ChildProcess | undefined;
let apacheUrl = '';
let dir = '';
let api = '';
let otherApi = '';
let people: Awaited<ReturnType<typeof userWithApp>>;

/** A TLS front for Gatehouse: mod_auth_openidc refuses an http introspection endpoint. */
async function startTlsProxy(target: string): Promise<{ proxy: HttpsServer; url: string }> {
  const key = join(dir, 'proxy.key');
  const cert = join(dir, 'proxy.crt');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], {
    encoding: 'utf8',
  });
  if (made.status !== 0) throw new Error(`openssl could not make a certificate: ${made.stderr}`);
  const upstream = new URL(target);
  const proxy = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    const forwarded = httpRequest(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.writeHead(502).end());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return { proxy, url: `https://127.0.0.1:${(proxy.address() as { port: number }).port}` };
}

function apacheConfig(port: number, introspectionEndpoint: string, credentials: { clientId: string; clientSecret: string }): string {
  const modules = ['mpm_event', 'authz_core', 'authz_user', 'authn_core', 'auth_openidc'];
  return [
    `ServerRoot ${dir}`,
    `Listen 127.0.0.1:${port}`,
    'ServerName 127.0.0.1',
    `PidFile ${join(dir, 'httpd.pid')}`,
    `DefaultRuntimeDir ${dir}`,
    `ErrorLog ${join(dir, 'error.log')}`,
    'LogLevel warn auth_openidc:info',
    ...modules.map((name) => `LoadModule ${name}_module ${join(MODULES, `mod_${name}.so`)}`),
    `DocumentRoot ${join(dir, 'www')}`,
    'OIDCCryptoPassphrase test-only-passphrase',
    'OIDCCacheType shm',
    `OIDCOAuthIntrospectionEndpoint ${introspectionEndpoint}`,
    `OIDCOAuthClientID ${credentials.clientId}`,
    `OIDCOAuthClientSecret ${credentials.clientSecret}`,
    'OIDCOAuthIntrospectionEndpointAuth client_secret_basic',
    // Every request is introspected: revocation is seen at once (the gateway trade-off the README describes).
    'OIDCOAuthTokenIntrospectionInterval -1',
    // The proxy's certificate is a throwaway self-signed one.
    'OIDCOAuthSSLValidateServer Off',
    'OIDCOAuthRemoteUserClaim sub',
    '<Location /api>',
    '  AuthType oauth20',
    '  Require valid-user',
    '</Location>',
    '',
  ].join('\n');
}

before(async () => {
  if (skipReason) {
    process.stdout.write(`\n!! SKIPPED: Apache mod_auth_openidc introspection test: ${skipReason}\n`);
    return;
  }
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-apache-'));
  mkdirSync(join(dir, 'www', 'api'), { recursive: true });
  writeFileSync(join(dir, 'www', 'api', 'orders.txt'), 'the orders\n');
  server = await startServer();
  api = await createApiWithScopes(server, 'apache-orders');
  otherApi = await createApiWithScopes(server, 'apache-other');
  const credentials = await secretCredentials(server, api);
  people = await userWithApp(server, [api, otherApi]);
  const front = await startTlsProxy(server.url);
  tlsProxy = front.proxy;
  const port = await freePort();
  apacheUrl = `http://127.0.0.1:${port}`;
  writeFileSync(join(dir, 'httpd.conf'), apacheConfig(port, `${front.url}/token/introspection`, credentials));
  let output = '';
  apache = spawn(APACHE, ['-f', join(dir, 'httpd.conf'), '-DFOREGROUND'], { stdio: ['ignore', 'pipe', 'pipe'] });
  apache.stdout?.on('data', (chunk) => (output += chunk));
  apache.stderr?.on('data', (chunk) => (output += chunk));
  try {
    await waitFor(
      'Apache to answer',
      async () => {
        if (apache!.exitCode !== null) throw new Error(`exited with ${apache!.exitCode}: ${output}`);
        return fetch(`${apacheUrl}/api/orders.txt`).then(
          () => true,
          () => false,
        );
      },
      60_000,
    );
  } catch (error) {
    skipReason = `Apache could not be started: ${(error as Error).message}`;
    process.stdout.write(`\n!! SKIPPED: Apache mod_auth_openidc introspection test: ${skipReason}\n`);
  }
});

after(async () => {
  if (apache && apache.exitCode === null) {
    const exited = new Promise((resolve) => apache!.once('exit', resolve));
    apache.kill('SIGTERM');
    await exited;
  }
  await new Promise<void>((resolve) => (tlsProxy ? tlsProxy.close(() => resolve()) : resolve()));
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const errorLog = () => (existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8').slice(-2000) : '');
const get = (token?: string) => fetch(`${apacheUrl}/api/orders.txt`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

test('mod_auth_openidc introspects with the API’s own credentials: a valid token gets 200, a revoked one 401', async (t) => {
  if (skipReason) return t.skip(skipReason);
  assert.equal((await get()).status, 401, 'no token');
  const tokens = await people.tokensFor(api);
  const granted = await get(tokens.access_token);
  assert.equal(granted.status, 200, errorLog());
  assert.equal(await granted.text(), 'the orders\n');

  assert.equal((await get(String((await people.tokensFor(otherApi)).access_token))).status, 401, 'a token for another API');
  assert.equal((await get(`${tokens.access_token.slice(0, -2)}xx`)).status, 401, 'a forged signature');

  const app = (await server!.gatehouse.services.sessions.listApps(people.user.id)).find((candidate) => candidate.clientId === people.app.clientId);
  assert.ok(app);
  await server!.gatehouse.services.sessions.revokeApp(people.user.id, app.grantId);
  const revoked = await get(tokens.access_token);
  assert.equal(revoked.status, 401, 'the same token once its grant is revoked');
  assert.match(revoked.headers.get('www-authenticate') ?? '', /invalid_token/);
});
