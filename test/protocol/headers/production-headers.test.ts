/**
 * Production mode (https issuer behind a TLS-terminating proxy): every page and endpoint carries
 * the hardening headers; cookies are HttpOnly, Secure, SameSite and __Host- where the path allows.
 * Production needs Postgres + Redis, so this file asserts in services mode and says so otherwise.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { createUser, createWebClient } from '../../harness/fixtures.ts';
import { storageMode } from '../../harness/mode.ts';
import { startServer, type TestServer } from '../../harness/server.ts';

const services = storageMode() === 'services';
let server: TestServer;
let client: { clientId: string };
const https = { 'x-forwarded-proto': 'https' };

before(async () => {
  if (!services) return;
  server = await startServer({
    env: {
      NODE_ENV: 'production',
      GATEHOUSE_ISSUER: 'https://id.example.test',
      GATEHOUSE_TRUST_PROXY: 'true',
      GATEHOUSE_KEY_ENCRYPTION_SECRET: randomBytes(32).toString('base64url'),
      GATEHOUSE_COOKIE_KEYS: randomBytes(32).toString('base64url'),
      GATEHOUSE_PASSWORD_MEMORY_KIB: '19456',
      GATEHOUSE_PASSWORD_TIME_COST: '2',
    },
  });
  client = await createWebClient(server, { redirectUris: ['https://app.example.test/callback'] });
});
after(() => server?.close());

function assertCommonHeaders(response: Response, label: string) {
  assert.equal(response.headers.get('strict-transport-security'), 'max-age=63072000; includeSubDomains', `${label}: HSTS`);
  assert.equal(response.headers.get('x-content-type-options'), 'nosniff', `${label}: nosniff`);
  assert.equal(response.headers.get('referrer-policy'), 'no-referrer', `${label}: referrer policy`);
  assert.ok(response.headers.get('x-request-id'), `${label}: request id`);
}

function assertPageHeaders(response: Response, label: string) {
  assertCommonHeaders(response, label);
  const csp = response.headers.get('content-security-policy') ?? '';
  assert.match(csp, /frame-ancestors 'none'/, `${label}: framing forbidden`);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, `${label}: no inline script or style`);
  assert.match(csp, /default-src 'none'/, `${label}: deny by default`);
}

function assertCookies(response: Response, label: string) {
  for (const cookie of response.headers.getSetCookie()) {
    const [pair] = cookie.split(';');
    const name = pair!.split('=')[0]!;
    assert.match(cookie, /;\s*httponly/i, `${label}: ${name} HttpOnly`);
    assert.match(cookie, /;\s*secure/i, `${label}: ${name} Secure`);
    assert.match(cookie, /;\s*samesite=(lax|strict)/i, `${label}: ${name} SameSite`);
    if (/;\s*path=\/(;|$)/i.test(cookie) && !name.endsWith('.sig')) assert.ok(name.startsWith('__Host-'), `${label}: ${name} uses __Host-`);
  }
}

test('every page and endpoint carries the hardening headers in production', { skip: !services && 'production needs Postgres + Redis: runs in services mode' }, async () => {
  const authorize = `${server.url}/auth?client_id=${client.clientId}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('https://app.example.test/callback')}&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`;
  const auth = await fetch(authorize, { headers: https, redirect: 'manual' });
  assertCommonHeaders(auth, '/auth');
  assertCookies(auth, '/auth');
  const cookies = auth.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const login = await fetch(new URL(auth.headers.get('location')!, server.url), { headers: { ...https, cookie: cookies } });
  assert.equal(login.status, 200);
  assertPageHeaders(login, 'login page');
  assertCookies(login, 'login page');

  for (const [path, kind] of [
    ['/.well-known/openid-configuration', 'json'],
    ['/jwks', 'json'],
    ['/healthz', 'json'],
    ['/session/end', 'page'],
    ['/interaction/unknown', 'page'],
    ['/auth?client_id=unknown', 'page'],
  ] as const) {
    const response = await fetch(`${server.url}${path}`, { headers: https });
    if (kind === 'page') assertPageHeaders(response, path);
    else assertCommonHeaders(response, path);
  }
  const tokenError = await fetch(`${server.url}/token`, { method: 'POST', headers: { ...https, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
  assertCommonHeaders(tokenError, '/token');
});

test('plain http is redirected to https for pages and refused for posts; probes stay reachable', { skip: !services && 'production needs Postgres + Redis: runs in services mode' }, async () => {
  const page = await fetch(`${server.url}/.well-known/openid-configuration`, { redirect: 'manual' });
  assert.equal(page.status, 301);
  assert.match(page.headers.get('location') ?? '', /^https:\/\//);
  const post = await fetch(`${server.url}/token`, { method: 'POST', body: 'grant_type=client_credentials', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(post.status, 403);
  assert.equal(((await post.json()) as { error: string }).error, 'invalid_request', 'the token endpoint refuses in OAuth JSON');
  assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
});

test('the https redirect goes to the configured issuer, whatever Host or X-Forwarded-Host the request carries', { skip: !services && 'production needs Postgres + Redis: runs in services mode' }, async () => {
  // Behind GATEHOUSE_TRUST_PROXY=true a forged X-Forwarded-Host would become the request's host:
  // a cache that stores the 301 would then send everyone to the attacker's site.
  const forged = await fetch(`${server.url}/.well-known/openid-configuration?x=1`, { redirect: 'manual', headers: { 'x-forwarded-host': 'evil.example' } });
  assert.equal(forged.status, 301);
  assert.equal(forged.headers.get('location'), 'https://id.example.test/.well-known/openid-configuration?x=1');

  const hostHeader = await new Promise<string | undefined>((resolve, reject) => {
    const url = new URL(server.url);
    request({ host: url.hostname, port: url.port, path: '/auth', headers: { host: 'evil.example' } }, (response) => {
      response.resume();
      resolve(response.headers.location);
    })
      .on('error', reject)
      .end();
  });
  assert.equal(hostHeader, 'https://id.example.test/auth', 'a forged Host header changes nothing either');

  const schemeRelative = await fetch(`${server.url}//evil.example/landing`, { redirect: 'manual' });
  assert.equal(schemeRelative.headers.get('location'), 'https://id.example.test//evil.example/landing', 'a path that looks like a host stays a path');
});

test('production hashes passwords at the OWASP parameters', { skip: !services && 'production needs Postgres + Redis: runs in services mode' }, async () => {
  const user = await createUser(server);
  const row = await server.gatehouse.storage.db('users').where({ id: user.id }).first();
  assert.match(row.password_hash, /^\$argon2id\$v=19\$m=19456,(t=2,p=1|p=1,t=2)\$/);
});
