/**
 * Malformed, oversized and hostile input, table-driven: every row is one raw HTTP request
 * (node:http, so bodies, headers and paths go out byte for byte) and the answer it must get.
 * Whatever the row, the server never answers 5xx, never shows a stack trace, every JSON error
 * carries an `error` code, and nothing secret that was sent reaches the server log.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import * as oidc from 'openid-client';
import { Browser } from '../../harness/browser.ts';
import {
  authorizationCodeFlow,
  createApi,
  createMachineClient,
  createUser,
  createWebClient,
  discover,
  POST_LOGOUT_URI,
  REDIRECT_URI,
} from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';

// ─── fixtures ────────────────────────────────────────────────────────────────────────────────

interface Client {
  clientId: string;
  clientSecret: string;
}

interface Fixtures {
  server: TestServer;
  user: { email: string; password: string };
  web: Client;
  machine: Client;
  api: string;
  /** A real, valid access token for the web client (userinfo-capable). */
  accessToken: string;
  /** One pending sign-in (login prompt): its uid, its CSRF token and the browser holding its cookies. */
  interaction: { uid: string; csrf: string; html: string; browser: Browser; pageUrl: string };
}

let fx: Fixtures;

/** Distinctive garbage; every value here is also asserted absent from the server log. */
const GARBAGE = {
  token: `garbage-token-${randomBytes(12).toString('hex')}`,
  code: `garbage-code-${randomBytes(12).toString('hex')}`,
  wrongSecret: `wrong-secret-${randomBytes(12).toString('hex')}`,
  bearer: `garbage-bearer-${randomBytes(12).toString('hex')}`,
  longToken: `long-${randomBytes(5_000).toString('hex')}`, // 10 KB
  nulToken: `nul-${randomBytes(8).toString('hex')}\u0000\u0000ünï¢ødé-😈-\u202e${randomBytes(8).toString('hex')}`,
  csrf: `forged-csrf-${randomBytes(12).toString('hex')}`,
  password: `hostile-password-${randomBytes(12).toString('hex')}`,
  xsrf: `forged-xsrf-${randomBytes(12).toString('hex')}`,
};

const FORM = 'application/x-www-form-urlencoded';
const MIB = 1024 * 1024;
/** A form body just over 1 MiB: one long parameter behind a plausible prefix. */
const oversized = (prefix: string) => `${prefix}&padding=${'A'.repeat(MIB + 1024)}`;

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const webAuth = () => basic(fx.web.clientId, fx.web.clientSecret);
const machineAuth = () => basic(fx.machine.clientId, fx.machine.clientSecret);
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

function interactionCookies(path = `/interaction/${fx.interaction.uid}/login`): string {
  return fx.interaction.browser.cookieHeader(new URL(path, fx.server.url));
}

/** Only the CSRF cookie pair (no interaction cookie) — a browser that never saw this interaction. */
function csrfCookiesOnly(): string {
  return interactionCookies()
    .split('; ')
    .filter((pair) => pair.startsWith('gatehouse.csrf'))
    .join('; ');
}

// ─── raw HTTP ────────────────────────────────────────────────────────────────────────────────

interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  /** Send the body with Transfer-Encoding: chunked (no Content-Length). */
  chunked?: boolean;
}

interface RawResponse {
  /** 0 when the server reset the connection before answering (see Row.resetAllowed). */
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json?: Record<string, unknown>;
}

let rowIp = 0;

/**
 * One request, byte for byte. Each request comes from its own client IP (X-Forwarded-For; the
 * test server trusts the proxy) so the per-IP client-authentication limit (5 failures a minute)
 * never turns a later row into a 429.
 */
function send(req: RawRequest): Promise<RawResponse> {
  rowIp += 1;
  const url = new URL(fx.server.url);
  const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, 'utf8');
  const headers: Record<string, string | string[]> = {
    'x-forwarded-for': `10.${(rowIp >> 16) & 255}.${(rowIp >> 8) & 255}.${rowIp & 255}`,
    ...req.headers,
  };
  if (body && !req.chunked) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    let settled = false;
    const outgoing = httpRequest(
      { host: url.hostname, port: url.port, method: req.method ?? 'POST', path: req.path, headers, agent: false, timeout: 10_000 },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => {
          if (!settled) reject(error);
          settled = true;
        });
        response.on('end', () => {
          if (settled) return;
          settled = true;
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> | undefined;
          if (/json/i.test(String(response.headers['content-type'] ?? ''))) {
            try {
              json = JSON.parse(text) as Record<string, unknown>;
            } catch {
              json = { __unparseable: text.slice(0, 200) };
            }
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json });
        });
      },
    );
    // The server may answer (413/400) and stop reading before a huge body is written: a write
    // error after the response started is expected, not a failure.
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') resolve({ status: 0, headers: {}, text: `connection reset (${error.code})` });
      else reject(error);
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within 10 s: ${req.method ?? 'POST'} ${req.path.slice(0, 80)}`)));
    if (body && req.chunked) {
      for (let offset = 0; offset < body.length; offset += 64 * 1024) outgoing.write(body.subarray(offset, offset + 64 * 1024));
      outgoing.end();
    } else {
      outgoing.end(body);
    }
  });
}

// ─── the table ───────────────────────────────────────────────────────────────────────────────

interface Row {
  name: string;
  request: () => RawRequest;
  /** Exact status, or the small set the protocol allows. */
  status: number | readonly number[];
  /** The OAuth `error` code of the JSON body (one of, when an array). */
  error?: string | readonly string[];
  /** For /auth rows answered with a redirect to the client: the `error` in the Location. */
  redirectError?: string;
  /**
   * Node's HTTP parser refuses some requests (headers over 16 KiB) with a 431 and closes the
   * socket while the client is still writing: the client may see a reset instead of the 431.
   */
  resetAllowed?: boolean;
  /** Anything else the row must hold. */
  check?: (response: RawResponse) => void;
}

const tokenRow = (name: string, body: string | Buffer, status: Row['status'], error: Row['error'], auth: (() => string) | null = webAuth, contentType = FORM): Row => ({
  name,
  request: () => ({
    path: '/token',
    headers: { 'content-type': contentType, ...(auth ? { authorization: auth() } : {}) },
    body,
  }),
  status,
  error,
});

const noCache = (response: RawResponse) =>
  assert.match(String(response.headers['cache-control'] ?? ''), /no-store/, 'OAuth error responses are not cacheable');

const bearerChallenge = (error?: string) => (response: RawResponse) => {
  const challenge = String(response.headers['www-authenticate'] ?? '');
  assert.match(challenge, /^Bearer /i, 'RFC 6750 §3: a WWW-Authenticate: Bearer challenge');
  if (error) assert.match(challenge, new RegExp(`error="${error}"`));
};

const inactive = (response: RawResponse) => {
  assert.deepEqual(response.json, { active: false }, 'RFC 7662 §2.2: an unknown token is just inactive');
};

const ROWS: Row[] = [
  // ── /token: bodies ──────────────────────────────────────────────────────────────────────
  {
    ...tokenRow('token: JSON body instead of a form', JSON.stringify({ grant_type: 'client_credentials', scope: 'read' }), 400, 'invalid_request', machineAuth, 'application/json'),
    check: noCache,
  },
  tokenRow('token: broken JSON with a JSON content type', '{"grant_type": "client_credentials", ', 400, 'invalid_request', machineAuth, 'application/json'),
  tokenRow('token: invalid percent-encoding in the form body', 'grant_type=refresh_token&refresh_token=%zz%E0%A4%A%%', 400, 'invalid_grant'),
  tokenRow('token: invalid percent-encoding in grant_type', 'grant_type=%E0%A4%A%zz', 400, 'unsupported_grant_type'),
  tokenRow('token: empty form body', '', 400, 'invalid_request'),
  {
    name: 'token: no body, no content type, no credentials',
    request: () => ({ path: '/token' }),
    status: [400, 401],
    error: ['invalid_request', 'invalid_client'],
  },
  tokenRow('token: body over 1 MiB (Content-Length)', oversized('grant_type=client_credentials&scope=read'), [400, 413], 'invalid_request', machineAuth),
  {
    name: 'token: body over 1 MiB (chunked, no Content-Length)',
    request: () => ({ path: '/token', headers: { 'content-type': FORM, authorization: machineAuth() }, body: oversized('grant_type=client_credentials&scope=read'), chunked: true }),
    status: [400, 413],
    error: 'invalid_request',
  },
  tokenRow('token: multipart/form-data', '--xyz\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nclient_credentials\r\n--xyz--\r\n', 400, 'invalid_request', machineAuth, 'multipart/form-data; boundary=xyz'),
  tokenRow('token: text/plain body', 'grant_type=client_credentials', 400, 'invalid_request', machineAuth, 'text/plain'),
  // Ignoring an unknown charset (and reading the bytes as UTF-8) is as acceptable as refusing it.
  tokenRow('token: form with an unknown charset', form({ grant_type: 'client_credentials', scope: 'read' }), [200, 400], 'invalid_request', machineAuth, `${FORM}; charset=x-no-such-charset`),
  tokenRow(
    'token: invalid UTF-8 byte sequences in the form body',
    Buffer.concat([Buffer.from('grant_type=refresh_token&refresh_token='), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82, 0xed, 0xa0, 0x80]), Buffer.from('abc')]),
    400,
    'invalid_grant',
  ),
  {
    // RFC 9110 §8.4.1: refusing an unsupported content coding (415) is a MAY; oidc-provider reads the raw bytes.
    name: 'token: Content-Encoding gzip with a body that is not gzip',
    request: () => ({ path: '/token', headers: { 'content-type': FORM, 'content-encoding': 'gzip', authorization: machineAuth() }, body: 'grant_type=client_credentials&scope=read' }),
    status: [200, 400, 415],
    error: 'invalid_request',
  },
  {
    name: 'token: Content-Encoding gzip with a real gzip body',
    request: () => ({ path: '/token', headers: { 'content-type': FORM, 'content-encoding': 'gzip', authorization: machineAuth() }, body: gzipSync('grant_type=client_credentials&scope=read') }),
    status: [200, 400, 415],
    error: ['invalid_request', 'unsupported_grant_type'],
  },
  {
    name: 'token: a GET instead of a POST',
    request: () => ({ method: 'GET', path: `/token?grant_type=client_credentials&client_id=x&client_secret=${GARBAGE.wrongSecret}` }),
    status: [404, 405],
  },

  // ── /token: grant types and parameters ──────────────────────────────────────────────────
  tokenRow('token: unknown grant_type', form({ grant_type: 'urn:evil:grant-type:root' }), 400, 'unsupported_grant_type'),
  tokenRow('token: grant_type given twice', 'grant_type=client_credentials&grant_type=authorization_code&scope=read', 400, 'invalid_request', machineAuth),
  tokenRow('token: grant_type missing', form({ scope: 'read' }), 400, 'invalid_request', machineAuth),
  tokenRow('token: grant_type empty', 'grant_type=&scope=read', 400, 'invalid_request', machineAuth),
  tokenRow('token: grant type the client is not registered for', form({ grant_type: 'client_credentials' }), 400, 'unauthorized_client'),
  {
    // RFC 6749 §3.3: the server may ignore what it does not grant — but it must not grant it.
    ...tokenRow('token: client_credentials with a 10 KB scope', form({ grant_type: 'client_credentials', scope: `read ${'x'.repeat(10_000)}` }), [200, 400], 'invalid_scope', machineAuth),
    check: (response) => {
      if (response.status === 200) assert.equal(response.json?.scope, 'read', 'only the registered scope is granted');
    },
  },
  tokenRow('token: client_credentials for a resource the client may not use', form({ grant_type: 'client_credentials', scope: 'read', resource: 'https://evil.example.test' }), 400, 'invalid_target', machineAuth),
  tokenRow('token: client_credentials with a resource that is not a URL', form({ grant_type: 'client_credentials', scope: 'read', resource: '../../etc/passwd' }), 400, 'invalid_target', machineAuth),
  tokenRow('token: parameter names that pollute prototypes', 'grant_type=urn:x&__proto__=x&constructor[prototype][polluted]=1&toString=2&hasOwnProperty=3', 400, 'unsupported_grant_type'),

  // ── /token: client authentication ───────────────────────────────────────────────────────
  tokenRow('token: Basic value that is not base64', form({ grant_type: 'client_credentials' }), [400, 401], ['invalid_request', 'invalid_client'], () => 'Basic !!!not*base64$$$'),
  tokenRow('token: Basic value without a colon', form({ grant_type: 'client_credentials' }), [400, 401], ['invalid_request', 'invalid_client'], () => `Basic ${Buffer.from('just-a-client-id').toString('base64')}`),
  tokenRow('token: huge Basic value (8 KB)', form({ grant_type: 'client_credentials' }), [400, 401], ['invalid_request', 'invalid_client'], () => `Basic ${'QUFB'.repeat(2048)}`),
  tokenRow('token: Basic with invalid percent-encoding inside', form({ grant_type: 'client_credentials' }), [400, 401], ['invalid_request', 'invalid_client'], () => `Basic ${Buffer.from(`%zz%E0:${GARBAGE.wrongSecret}%`).toString('base64')}`),
  tokenRow('token: Basic with only a scheme', form({ grant_type: 'client_credentials' }), [400, 401], ['invalid_request', 'invalid_client'], () => 'Basic'),
  {
    ...tokenRow('token: client_secret_basic with a wrong secret', form({ grant_type: 'client_credentials', scope: 'read' }), 401, 'invalid_client', () => basic(fx.machine.clientId, GARBAGE.wrongSecret)),
    check: (response) => {
      noCache(response);
      assert.match(String(response.headers['www-authenticate'] ?? ''), /^Basic /i, 'RFC 6749 §5.2: a 401 answers Basic with a Basic challenge');
    },
  },
  tokenRow('token: client_secret_basic for an unknown client', form({ grant_type: 'client_credentials' }), 401, 'invalid_client', () => basic(`no-such-client-${randomBytes(4).toString('hex')}`, GARBAGE.wrongSecret)),
  tokenRow('token: Basic and client_secret_post together', form({ grant_type: 'client_credentials', scope: 'read', client_id: 'x', client_secret: GARBAGE.wrongSecret }), 400, 'invalid_request', machineAuth),
  tokenRow('token: client_secret_post with a wrong secret', form({ grant_type: 'client_credentials', client_id: 'x', client_secret: GARBAGE.wrongSecret }), 401, 'invalid_client', null),
  tokenRow('token: client_id given twice', `grant_type=client_credentials&client_id=a&client_id=b&client_secret=${GARBAGE.wrongSecret}`, 400, 'invalid_request', null),
  tokenRow('token: no client authentication at all', form({ grant_type: 'client_credentials' }), [400, 401], ['invalid_request', 'invalid_client'], null),
  {
    name: 'token: garbage X-Forwarded-For (the rate-limit key) with valid credentials',
    request: () => ({
      path: '/token',
      headers: { 'content-type': FORM, authorization: machineAuth(), 'x-forwarded-for': `not-an-ip, ${'999.1.2.3, '.repeat(300)}::ffff:1.2.3.4` },
      body: form({ grant_type: 'client_credentials', scope: 'read' }),
    }),
    status: 200,
  },
  tokenRow('token: client_assertion that is garbage', form({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: GARBAGE.token }), [400, 401], ['invalid_request', 'invalid_client'], null),

  // ── /token: garbage grants ──────────────────────────────────────────────────────────────
  tokenRow('token: refresh_token grant with a garbage token', form({ grant_type: 'refresh_token', refresh_token: GARBAGE.token }), 400, 'invalid_grant'),
  tokenRow('token: refresh_token grant with a 10 KB token', form({ grant_type: 'refresh_token', refresh_token: GARBAGE.longToken }), 400, 'invalid_grant'),
  tokenRow('token: refresh_token grant with NUL bytes and unicode', form({ grant_type: 'refresh_token', refresh_token: GARBAGE.nulToken }), 400, 'invalid_grant'),
  tokenRow('token: refresh_token grant with an empty token', 'grant_type=refresh_token&refresh_token=', 400, 'invalid_request'),
  tokenRow('token: refresh_token grant with the token given twice', `grant_type=refresh_token&refresh_token=${GARBAGE.token}&refresh_token=${GARBAGE.token}`, 400, 'invalid_request'),
  tokenRow('token: refresh_token grant with a JWT-looking token', form({ grant_type: 'refresh_token', refresh_token: `eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.${GARBAGE.token}` }), 400, 'invalid_grant'),
  tokenRow('token: authorization_code grant with a garbage code', form({ grant_type: 'authorization_code', code: GARBAGE.code, redirect_uri: REDIRECT_URI, code_verifier: 'a'.repeat(43) }), 400, 'invalid_grant'),
  tokenRow('token: authorization_code grant without a code', form({ grant_type: 'authorization_code', redirect_uri: REDIRECT_URI, code_verifier: 'a'.repeat(43) }), 400, 'invalid_request'),
  tokenRow('token: authorization_code grant with a 10 KB code and verifier', form({ grant_type: 'authorization_code', code: GARBAGE.longToken, redirect_uri: REDIRECT_URI, code_verifier: 'v'.repeat(10_000) }), 400, ['invalid_grant', 'invalid_request']),

  // ── introspection and revocation ────────────────────────────────────────────────────────
  {
    name: 'introspection: garbage token by a valid client → inactive',
    request: () => ({ path: '/token/introspection', headers: { 'content-type': FORM, authorization: webAuth() }, body: form({ token: GARBAGE.token }) }),
    status: 200,
    check: inactive,
  },
  {
    name: 'introspection: NUL bytes and unicode in the token → inactive',
    request: () => ({ path: '/token/introspection', headers: { 'content-type': FORM, authorization: webAuth() }, body: form({ token: GARBAGE.nulToken, token_type_hint: 'refresh_token' }) }),
    status: 200,
    check: inactive,
  },
  {
    name: 'introspection: 10 KB token with an unknown token_type_hint',
    request: () => ({ path: '/token/introspection', headers: { 'content-type': FORM, authorization: webAuth() }, body: form({ token: GARBAGE.longToken, token_type_hint: 'urn:evil' }) }),
    status: 200,
    check: inactive,
  },
  {
    name: 'introspection: token missing',
    request: () => ({ path: '/token/introspection', headers: { 'content-type': FORM, authorization: webAuth() }, body: '' }),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'introspection: no client authentication',
    request: () => ({ path: '/token/introspection', headers: { 'content-type': FORM }, body: form({ token: GARBAGE.token }) }),
    status: [400, 401],
    error: ['invalid_request', 'invalid_client'],
  },
  {
    name: 'introspection: body over 1 MiB',
    request: () => ({ path: '/token/introspection', headers: { 'content-type': FORM, authorization: webAuth() }, body: oversized(form({ token: GARBAGE.token })) }),
    status: [400, 413],
    error: 'invalid_request',
  },
  {
    name: 'introspection: JSON body',
    request: () => ({ path: '/token/introspection', headers: { 'content-type': 'application/json', authorization: webAuth() }, body: JSON.stringify({ token: GARBAGE.token }) }),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'revocation: garbage token by a valid client → 200',
    request: () => ({ path: '/token/revocation', headers: { 'content-type': FORM, authorization: webAuth() }, body: form({ token: GARBAGE.token }) }),
    status: 200,
  },
  {
    name: 'revocation: NUL bytes and unicode in the token → 200',
    request: () => ({ path: '/token/revocation', headers: { 'content-type': FORM, authorization: webAuth() }, body: form({ token: GARBAGE.nulToken, token_type_hint: 'access_token' }) }),
    status: 200,
  },
  {
    name: 'revocation: unknown token_type_hint',
    request: () => ({ path: '/token/revocation', headers: { 'content-type': FORM, authorization: webAuth() }, body: form({ token: GARBAGE.token, token_type_hint: 'urn:evil' }) }),
    status: [200, 400],
    error: 'unsupported_token_type',
  },
  {
    name: 'revocation: token missing',
    request: () => ({ path: '/token/revocation', headers: { 'content-type': FORM, authorization: webAuth() }, body: form({ token_type_hint: 'refresh_token' }) }),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'revocation: wrong client secret',
    request: () => ({ path: '/token/revocation', headers: { 'content-type': FORM, authorization: basic(fx.web.clientId, GARBAGE.wrongSecret) }, body: form({ token: GARBAGE.token }) }),
    status: 401,
    error: 'invalid_client',
  },
  {
    name: 'revocation: body over 1 MiB',
    request: () => ({ path: '/token/revocation', headers: { 'content-type': FORM, authorization: webAuth() }, body: oversized(form({ token: GARBAGE.token })) }),
    status: [400, 413],
    error: 'invalid_request',
  },

  // ── userinfo ────────────────────────────────────────────────────────────────────────────
  {
    name: 'userinfo: garbage bearer token',
    request: () => ({ method: 'GET', path: '/me', headers: { authorization: `Bearer ${GARBAGE.bearer}` } }),
    status: 401,
    error: 'invalid_token',
    check: bearerChallenge('invalid_token'),
  },
  {
    name: 'userinfo: 10 KB bearer token',
    request: () => ({ method: 'GET', path: '/me', headers: { authorization: `Bearer ${GARBAGE.longToken}` } }),
    status: 401,
    error: 'invalid_token',
  },
  {
    name: 'userinfo: "Bearer" with no token',
    request: () => ({ method: 'GET', path: '/me', headers: { authorization: 'Bearer' } }),
    status: [400, 401],
    error: ['invalid_request', 'invalid_token'],
  },
  {
    name: 'userinfo: "Bearer " and spaces, no token',
    request: () => ({ method: 'GET', path: '/me', headers: { authorization: 'Bearer    ' } }),
    status: [400, 401],
    error: ['invalid_request', 'invalid_token'],
  },
  {
    name: 'userinfo: a Basic scheme instead of Bearer',
    request: () => ({ method: 'GET', path: '/me', headers: { authorization: webAuth() } }),
    status: [400, 401],
    error: ['invalid_request', 'invalid_token'],
  },
  {
    name: 'userinfo: no token at all',
    request: () => ({ method: 'GET', path: '/me' }),
    status: [400, 401],
    error: ['invalid_request', 'invalid_token'],
  },
  {
    name: 'userinfo: a VALID access token in the query string is refused',
    request: () => ({ method: 'GET', path: `/me?access_token=${encodeURIComponent(fx.accessToken)}` }),
    status: 400,
    error: 'invalid_request',
    check: (response) => assert.ok(!response.text.includes(fx.accessToken.slice(0, 40)) && !('email' in (response.json ?? {})), 'no user data'),
  },
  {
    name: 'userinfo: token both in the header and in the body',
    request: () => ({ path: '/me', headers: { authorization: `Bearer ${fx.accessToken}`, 'content-type': FORM }, body: form({ access_token: fx.accessToken }) }),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'userinfo: POST with a body over 1 MiB',
    request: () => ({ path: '/me', headers: { 'content-type': FORM }, body: oversized(form({ access_token: GARBAGE.bearer })) }),
    status: [400, 413],
    error: 'invalid_request',
  },

  // ── /auth ───────────────────────────────────────────────────────────────────────────────
  { name: 'auth: no parameters at all', request: () => ({ method: 'GET', path: '/auth' }), status: 400 },
  {
    name: 'auth: unknown client_id',
    request: () => ({ method: 'GET', path: `/auth?${form({ client_id: `no-such-client-${randomBytes(4).toString('hex')}`, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT_URI })}` }),
    status: 400,
    check: (response) => assert.ok(!response.headers.location, 'never redirects for an unknown client'),
  },
  {
    name: 'auth: redirect_uri that is not registered is never redirected to',
    request: () => ({ method: 'GET', path: `/auth?${authParams({ redirect_uri: 'https://evil.example.test/steal' })}` }),
    status: 400,
    check: (response) => assert.ok(!String(response.headers.location ?? '').includes('evil.example'), 'no open redirect'),
  },
  {
    name: 'auth: huge query string (64 KB, over the 16 KiB header limit)',
    request: () => ({ method: 'GET', path: `/auth?${authParams({ state: 's'.repeat(64 * 1024) })}` }),
    status: [414, 431],
    resetAllowed: true,
  },
  {
    name: 'auth: large query string (12 KB, under the header limit)',
    request: () => ({ method: 'GET', path: `/auth?${authParams({ state: 's'.repeat(12 * 1024), nonce: 'n'.repeat(2048) })}` }),
    status: [303, 400],
    check: (response) => assert.ok(!String(response.headers.location ?? '').startsWith('http') || String(response.headers.location).startsWith(REDIRECT_URI), 'redirects only to the interaction or the registered redirect_uri'),
  },
  {
    name: 'auth: response_type=token (implicit) is not supported',
    request: () => ({ method: 'GET', path: `/auth?${authParams({ response_type: 'token' })}` }),
    status: [303, 400],
    redirectError: 'unsupported_response_type',
  },
  {
    name: 'auth: response_type=none and garbage',
    request: () => ({ method: 'GET', path: `/auth?${authParams({ response_type: 'code id_token token garbage' })}` }),
    status: [303, 400],
    redirectError: 'unsupported_response_type',
  },
  {
    name: 'auth: code_challenge_method=plain',
    request: () => ({ method: 'GET', path: `/auth?${authParams({ code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' })}` }),
    status: 303,
    redirectError: 'invalid_request',
  },
  {
    name: 'auth: client_id given twice',
    request: () => ({ method: 'GET', path: `/auth?${authParams({})}&client_id=another-client` }),
    status: [303, 400],
    redirectError: 'invalid_request',
  },
  {
    name: 'auth: HTML in client_id is not reflected unescaped',
    request: () => ({ method: 'GET', path: `/auth?${form({ client_id: '<script>alert(1)</script>', response_type: 'code', scope: 'openid', redirect_uri: REDIRECT_URI })}` }),
    status: 400,
    check: (response) => assert.ok(!response.text.includes('<script>alert(1)'), 'reflected markup must be escaped'),
  },
  {
    name: 'auth: a garbage request object',
    request: () => ({ method: 'GET', path: `/auth?${authParams({ request: GARBAGE.token })}` }),
    status: [303, 400],
    redirectError: 'request_not_supported',
  },
  {
    name: 'auth: invalid percent-encoding in the query',
    request: () => ({ method: 'GET', path: `/auth?${authParams({}).replace('&state=st', '')}&state=%E0%A4%A%zz&nonce=%` }),
    status: [303, 400],
  },
  {
    name: 'auth: forged session cookies do not skip the sign-in',
    request: () => ({ method: 'GET', path: `/auth?${authParams({ prompt: 'none' })}`, headers: { cookie: `gatehouse.session=${GARBAGE.token}; gatehouse.session.sig=${GARBAGE.token}; _session=${GARBAGE.token}` } }),
    status: 303,
    redirectError: 'login_required',
  },
  // oidc-provider 9 serves POST /auth only with enableHttpPostMethods (Gatehouse leaves it off): 404 is fine too.
  {
    name: 'auth: POST with a body over 1 MiB',
    request: () => ({ path: '/auth', headers: { 'content-type': FORM }, body: oversized(authParams({})) }),
    status: [400, 404, 405, 413],
  },
  {
    name: 'auth: POST with a JSON body',
    request: () => ({ path: '/auth', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_id: 'x' }) }),
    status: [400, 404, 405, 415],
  },

  // ── interaction pages ───────────────────────────────────────────────────────────────────
  {
    name: 'interaction: login POST without the CSRF field',
    request: () => ({ path: `/interaction/${fx.interaction.uid}/login`, headers: { 'content-type': FORM, cookie: interactionCookies() }, body: form({ email: fx.user.email, password: GARBAGE.password }) }),
    status: 403,
  },
  {
    name: 'interaction: login POST with a wrong CSRF token',
    request: () => ({ path: `/interaction/${fx.interaction.uid}/login`, headers: { 'content-type': FORM, cookie: interactionCookies() }, body: form({ csrf: GARBAGE.csrf, email: fx.user.email, password: GARBAGE.password }) }),
    status: 403,
  },
  {
    name: 'interaction: login POST with the CSRF field as an array',
    request: () => ({ path: `/interaction/${fx.interaction.uid}/login`, headers: { 'content-type': FORM, cookie: interactionCookies() }, body: `csrf[]=${fx.interaction.csrf}&csrf[]=x&email=a&password=${GARBAGE.password}` }),
    status: 403,
  },
  {
    name: 'interaction: login POST with a CSRF token but no cookies',
    request: () => ({ path: `/interaction/${fx.interaction.uid}/login`, headers: { 'content-type': FORM }, body: form({ csrf: fx.interaction.csrf, email: fx.user.email, password: GARBAGE.password }) }),
    status: 403,
  },
  {
    name: 'interaction: login POST to an unknown uid (valid CSRF)',
    request: () => ({ path: '/interaction/unknown-uid-0000000000/login', headers: { 'content-type': FORM, cookie: interactionCookies() }, body: form({ csrf: fx.interaction.csrf, email: fx.user.email, password: GARBAGE.password }) }),
    status: [400, 404],
  },
  {
    name: 'interaction: login POST from a browser without the interaction cookie (valid CSRF)',
    request: () => ({ path: `/interaction/${fx.interaction.uid}/login`, headers: { 'content-type': FORM, cookie: csrfCookiesOnly() }, body: form({ csrf: fx.interaction.csrf, email: fx.user.email, password: GARBAGE.password }) }),
    status: [400, 404],
  },
  {
    name: 'interaction: login POST with a JSON body (non-form content type)',
    request: () => ({ path: `/interaction/${fx.interaction.uid}/login`, headers: { 'content-type': 'application/json', cookie: interactionCookies() }, body: JSON.stringify({ csrf: fx.interaction.csrf, email: fx.user.email, password: GARBAGE.password }) }),
    status: [403, 415],
  },
  {
    name: 'interaction: login POST as multipart/form-data',
    request: () => ({
      path: `/interaction/${fx.interaction.uid}/login`,
      headers: { 'content-type': 'multipart/form-data; boundary=xyz', cookie: interactionCookies() },
      body: `--xyz\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n${fx.interaction.csrf}\r\n--xyz\r\nContent-Disposition: form-data; name="password"\r\n\r\n${GARBAGE.password}\r\n--xyz--\r\n`,
    }),
    status: [403, 415],
  },
  {
    name: 'interaction: login POST over 1 MiB',
    request: () => ({ path: `/interaction/${fx.interaction.uid}/login`, headers: { 'content-type': FORM, cookie: interactionCookies() }, body: oversized(form({ csrf: fx.interaction.csrf, email: fx.user.email, password: GARBAGE.password })) }),
    status: 413,
  },
  {
    name: 'interaction: login POST over 1 MiB, chunked',
    request: () => ({ path: `/interaction/${fx.interaction.uid}/login`, headers: { 'content-type': FORM, cookie: interactionCookies() }, body: oversized(form({ csrf: fx.interaction.csrf, email: fx.user.email, password: GARBAGE.password })), chunked: true }),
    status: 413,
  },
  {
    name: 'interaction: login POST with Content-Encoding gzip that is not gzip',
    request: () => ({ path: `/interaction/${fx.interaction.uid}/login`, headers: { 'content-type': FORM, 'content-encoding': 'gzip', cookie: interactionCookies() }, body: form({ csrf: fx.interaction.csrf, email: fx.user.email, password: GARBAGE.password }) }),
    status: [400, 415],
  },
  {
    name: 'interaction: login POST with Content-Encoding br that is not brotli',
    request: () => ({ path: `/interaction/${fx.interaction.uid}/login`, headers: { 'content-type': FORM, 'content-encoding': 'br', cookie: interactionCookies() }, body: form({ csrf: fx.interaction.csrf, email: fx.user.email, password: GARBAGE.password }) }),
    status: [400, 415],
  },
  {
    name: 'interaction: login POST with a truncated gzip body',
    request: () => ({ path: `/interaction/${fx.interaction.uid}/login`, headers: { 'content-type': FORM, 'content-encoding': 'gzip', cookie: interactionCookies() }, body: gzipSync(form({ csrf: fx.interaction.csrf, email: fx.user.email, password: GARBAGE.password })).subarray(0, 20) }),
    status: [400, 415],
  },
  {
    name: 'interaction: login POST gzip bomb (1 KiB → 16 MiB)',
    request: () => ({ path: `/interaction/${fx.interaction.uid}/login`, headers: { 'content-type': FORM, 'content-encoding': 'gzip', cookie: interactionCookies() }, body: gzipSync(Buffer.alloc(16 * MIB, 'a')) }),
    status: [413, 415],
  },
  {
    name: 'interaction: login POST with an unknown Content-Encoding',
    request: () => ({ path: `/interaction/${fx.interaction.uid}/login`, headers: { 'content-type': FORM, 'content-encoding': 'x-evil', cookie: interactionCookies() }, body: form({ csrf: fx.interaction.csrf }) }),
    status: 415,
  },
  {
    name: 'interaction: login POST with a form charset that does not exist',
    request: () => ({ path: `/interaction/${fx.interaction.uid}/login`, headers: { 'content-type': `${FORM}; charset=x-no-such-charset`, cookie: interactionCookies() }, body: form({ csrf: fx.interaction.csrf, email: 'a', password: GARBAGE.password }) }),
    status: [400, 401, 415],
  },
  {
    name: 'interaction: login POST with email given as an array (valid CSRF)',
    request: () => ({ path: `/interaction/${fx.interaction.uid}/login`, headers: { 'content-type': FORM, cookie: interactionCookies() }, body: `csrf=${fx.interaction.csrf}&email=a@example.test&email=b@example.test&password=${GARBAGE.password}` }),
    status: 400,
  },
  {
    name: 'interaction: login POST with a nested object as the password (valid CSRF)',
    request: () => ({ path: `/interaction/${fx.interaction.uid}/login`, headers: { 'content-type': FORM, cookie: interactionCookies() }, body: `csrf=${fx.interaction.csrf}&email=a@example.test&password[a][b][c][d][e][f][g]=${GARBAGE.password}` }),
    status: 400,
  },
  {
    name: 'interaction: login POST with a 10 KB password (valid CSRF)',
    request: () => ({ path: `/interaction/${fx.interaction.uid}/login`, headers: { 'content-type': FORM, cookie: interactionCookies() }, body: form({ csrf: fx.interaction.csrf, email: fx.user.email, password: `${GARBAGE.password}${'p'.repeat(10_000)}` }) }),
    status: 400,
  },
  {
    name: 'interaction: login POST with invalid percent-encoding and UTF-8 (valid CSRF)',
    request: () => ({
      path: `/interaction/${fx.interaction.uid}/login`,
      headers: { 'content-type': FORM, cookie: interactionCookies() },
      body: Buffer.concat([Buffer.from(`csrf=${fx.interaction.csrf}&email=%zz%E0%A4%A&password=`), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from(GARBAGE.password)]),
    }),
    status: [400, 401],
  },
  {
    name: 'interaction: confirm POST while the login is still pending (valid CSRF)',
    request: () => ({ path: `/interaction/${fx.interaction.uid}/confirm`, headers: { 'content-type': FORM, cookie: interactionCookies(`/interaction/${fx.interaction.uid}/confirm`) }, body: form({ csrf: fx.interaction.csrf }) }),
    status: 400,
  },
  {
    name: 'interaction: abort POST with a wrong CSRF token',
    request: () => ({ path: `/interaction/${fx.interaction.uid}/abort`, headers: { 'content-type': FORM, cookie: interactionCookies(`/interaction/${fx.interaction.uid}/abort`) }, body: form({ csrf: GARBAGE.csrf }) }),
    status: 403,
  },
  {
    name: 'interaction: abort POST to an unknown uid without CSRF',
    request: () => ({ path: '/interaction/unknown-uid-0000000000/abort', headers: { 'content-type': FORM }, body: '' }),
    status: 403,
  },
  {
    name: 'interaction: GET of an unknown uid',
    request: () => ({ method: 'GET', path: '/interaction/unknown-uid' }),
    status: [400, 404],
  },
  {
    name: 'interaction: GET of an unknown uid, JSON wanted',
    request: () => ({ method: 'GET', path: '/interaction/unknown-uid', headers: { accept: 'application/json' } }),
    status: [400, 404],
    error: ['invalid_request', 'not_found'],
  },
  {
    name: 'interaction: GET with a 2 KB uid of odd characters',
    request: () => ({ method: 'GET', path: `/interaction/${'%00%ff%2F..%2F'.repeat(150)}` }),
    status: [400, 404],
  },
  {
    name: 'interaction: PUT on a page',
    request: () => ({ method: 'PUT', path: `/interaction/${fx.interaction.uid}/login`, headers: { 'content-type': FORM }, body: 'a=b' }),
    status: [403, 404, 405],
  },

  // ── logout ──────────────────────────────────────────────────────────────────────────────
  {
    name: 'logout: /session/end/confirm with a garbage xsrf',
    request: () => ({ path: '/session/end/confirm', headers: { 'content-type': FORM }, body: form({ xsrf: GARBAGE.xsrf, logout: 'yes' }) }),
    status: 400,
  },
  {
    name: 'logout: /session/end/confirm with a garbage xsrf and forged session cookies',
    request: () => ({ path: '/session/end/confirm', headers: { 'content-type': FORM, cookie: `gatehouse.session=${GARBAGE.token}; gatehouse.session.sig=${GARBAGE.token}` }, body: form({ xsrf: GARBAGE.xsrf, logout: 'yes' }) }),
    status: 400,
  },
  {
    name: 'logout: /session/end/confirm with a body over 1 MiB',
    request: () => ({ path: '/session/end/confirm', headers: { 'content-type': FORM }, body: oversized(form({ xsrf: GARBAGE.xsrf })) }),
    status: [400, 413],
  },
  {
    name: 'logout: /session/end with a garbage id_token_hint',
    request: () => ({ method: 'GET', path: `/session/end?${form({ id_token_hint: GARBAGE.token, post_logout_redirect_uri: POST_LOGOUT_URI })}` }),
    status: 400,
    check: (response) => assert.ok(!response.headers.location, 'no redirect on a bad hint'),
  },
  {
    name: 'logout: /session/end with an unregistered post_logout_redirect_uri',
    request: () => ({ method: 'GET', path: `/session/end?${form({ client_id: fx.web.clientId, post_logout_redirect_uri: 'https://evil.example.test/' })}` }),
    status: 400,
    check: (response) => assert.ok(!String(response.headers.location ?? '').includes('evil.example'), 'no open redirect'),
  },

  // ── everything else ─────────────────────────────────────────────────────────────────────
  {
    name: 'a hostile X-Request-Id is replaced, not echoed',
    request: () => ({ method: 'GET', path: '/healthz', headers: { 'x-request-id': `"><script>alert(1)</script>${'x'.repeat(200)}` } }),
    status: 200,
    check: (response) => assert.match(String(response.headers['x-request-id']), /^[A-Za-z0-9._-]{1,64}$/),
  },
  { name: 'unknown path', request: () => ({ method: 'GET', path: '/no/such/path' }), status: 404 },
  { name: 'unknown path, POST with a body', request: () => ({ path: '/admin', headers: { 'content-type': FORM }, body: 'a=b' }), status: [404, 405] },
  { name: 'overlong path (10 KB)', request: () => ({ method: 'GET', path: `/${'a'.repeat(10 * 1024)}` }), status: [404, 414, 431] },
  { name: 'path traversal', request: () => ({ method: 'GET', path: '/assets/..%2f..%2f..%2fpackage.json' }), status: 404 },
  { name: 'path with an encoded NUL and invalid percent-encoding', request: () => ({ method: 'GET', path: '/assets/%00%zz%E0%A4%A' }), status: [400, 404] },
  { name: 'discovery with a POST', request: () => ({ path: '/.well-known/openid-configuration', headers: { 'content-type': FORM }, body: 'a=b' }), status: [404, 405] },
  {
    name: 'discovery with forged X-Forwarded-Host/Proto keeps the configured issuer',
    request: () => ({ method: 'GET', path: '/.well-known/openid-configuration', headers: { 'x-forwarded-host': 'evil.example.test', 'x-forwarded-proto': 'https' } }),
    status: 200,
    check: (response) => {
      assert.equal(response.json?.issuer, fx.server.url);
      assert.ok(!response.text.includes('evil.example'), `no endpoint built from a forwarded host: token_endpoint=${String(response.json?.token_endpoint)}`);
    },
  },
  {
    name: 'discovery with a forged Host header keeps every endpoint on the issuer',
    request: () => ({ method: 'GET', path: '/.well-known/openid-configuration', headers: { host: 'evil.example.test' } }),
    status: 200,
    check: (response) => {
      assert.equal(response.json?.issuer, fx.server.url);
      assert.ok(!response.text.includes('evil.example'), `no endpoint built from the Host header: token_endpoint=${String(response.json?.token_endpoint)}`);
    },
  },
  { name: 'jwks with a garbage If-None-Match', request: () => ({ method: 'GET', path: '/jwks', headers: { 'if-none-match': `"${GARBAGE.token}", W/"x", *, ,,,` } }), status: [200, 304] },
  { name: 'an unknown HTTP method on /healthz', request: () => ({ method: 'PROPFIND', path: '/healthz' }), status: [404, 405] },
  { name: 'an unknown HTTP method on /token', request: () => ({ method: 'PROPFIND', path: '/token', headers: { 'content-type': FORM }, body: 'grant_type=client_credentials' }), status: [404, 405] },
  { name: 'a huge Cookie header on /auth', request: () => ({ method: 'GET', path: `/auth?${authParams({})}`, headers: { cookie: `gatehouse.session=${'c'.repeat(12 * 1024)}` } }), status: [303, 400, 431] },
];

/** Query of a well-formed authorization request for the web client, with overrides. */
function authParams(overrides: Record<string, string>): string {
  return form({
    client_id: fx.web.clientId,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: REDIRECT_URI,
    state: 'st',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
    ...overrides,
  });
}

// ─── running it ──────────────────────────────────────────────────────────────────────────────

const STACK_MARKERS: Array<[string, RegExp]> = [
  ['an "    at " frame', / {4}at /],
  ['node_modules', /node_modules/],
  ['a file:// URL', /file:\/\//],
  ['Error: followed by a path', /Error:[^\n]*\/[\w.-]+\/[\w.-]+/],
  ['a source position', /\.(?:[cm]?js|ts):\d+:\d+/],
];

before(async () => {
  const server = await startServer({ env: { LOG_LEVEL: 'trace', GATEHOUSE_TRUST_PROXY: 'true' } });
  const user = await createUser(server);
  const web = await createWebClient(server);
  const api = await createApi(server);
  const machine = await createMachineClient(server, api);
  const { tokens } = await authorizationCodeFlow(server, await discover(server, web), user);

  // A pending sign-in: the login page of a fresh authorization request, in a browser.
  const browser = new Browser();
  const start = new URL(`${server.url}/auth`);
  start.search = form({
    client_id: web.clientId,
    response_type: 'code',
    scope: 'openid email',
    prompt: 'consent',
    redirect_uri: REDIRECT_URI,
    state: 'pending',
    code_challenge: await oidc.calculatePKCECodeChallenge('v'.repeat(43)),
    code_challenge_method: 'S256',
  });
  const page = await browser.follow(start, server.url);
  assert.equal(page.response?.status, 200, 'the login page of the pending interaction');
  const html = await page.response!.text();
  const uid = /action="\/interaction\/([^/"]+)\/login"/.exec(html)?.[1];
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
  assert.ok(uid && csrf, 'the login page carries the interaction uid and a CSRF token');
  fx = { server, user, web, machine, api, accessToken: tokens.access_token, interaction: { uid, csrf, html, browser, pageUrl: page.response!.url } };
});

after(() => fx?.server.close());

for (const row of ROWS) {
  test(row.name, async () => {
    const request = row.request();
    const response = await send(request);
    const error = response.json?.error;

    const allowed = typeof row.status === 'number' ? [row.status] : row.status;
    const described = `${response.status} ${response.text.slice(0, 300)}`;
    if (response.status === 0) {
      assert.ok(row.resetAllowed, `the server reset the connection instead of answering: ${response.text}`);
      return;
    }
    assert.ok(response.status < 500, `never a 5xx: ${described}`);
    for (const [marker, pattern] of STACK_MARKERS) {
      assert.doesNotMatch(response.text, pattern, `no stack trace in the body (${marker}): ${response.text.slice(0, 300)}`);
    }
    assert.ok(allowed.includes(response.status), `status ${response.status}, expected ${allowed.join(' or ')}: ${described}`);

    if (response.json) {
      assert.ok(!('__unparseable' in response.json), `a JSON content type carries valid JSON: ${described}`);
      if (response.status >= 400) {
        assert.equal(typeof error, 'string', `a JSON error carries an error code: ${described}`);
        assert.match(String(error), /^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/, 'RFC 6749 §5.2: the error code is plain ASCII');
      }
    }
    if (row.error !== undefined && response.status >= 400) {
      const codes = typeof row.error === 'string' ? [row.error] : row.error;
      assert.ok(response.json, `an OAuth error is JSON: ${described}`);
      assert.ok(codes.includes(String(error)), `error ${String(error)}, expected ${codes.join(' or ')}: ${described}`);
    }
    if (row.redirectError !== undefined && response.status >= 300 && response.status < 400) {
      const location = new URL(String(response.headers.location), fx.server.url);
      assert.equal(`${location.origin}${location.pathname}`, REDIRECT_URI, 'errors go back only to the registered redirect_uri');
      const params = new URLSearchParams(location.hash ? location.hash.slice(1) : location.search);
      const returned = params.get('error') ?? location.searchParams.get('error');
      assert.equal(returned, row.redirectError, `redirected with ${String(returned)}: ${location.href.slice(0, 300)}`);
    }
    row.check?.(response);
  });
}

test('after all of the above, the pending sign-in is intact and completes normally (no partial writes)', async () => {
  const { browser, html, pageUrl } = fx.interaction;
  let step = await browser.submitForm({ url: pageUrl, html }, /\/login$/, { email: fx.user.email, password: fx.user.password }, fx.server.url);
  for (let pages = 0; pages < 4 && !step.leftTo; pages += 1) {
    const response = step.response!;
    const next = await response.text();
    assert.ok(next.includes('/confirm"'), `expected the consent page, got ${response.status}: ${next.slice(0, 200)}`);
    step = await browser.submitForm({ url: fx.server.url, html: next }, /\/confirm$/, {}, fx.server.url);
  }
  assert.equal(`${step.leftTo?.origin}${step.leftTo?.pathname}`, REDIRECT_URI);
  assert.equal(step.leftTo?.searchParams.get('state'), 'pending');
  assert.ok(step.leftTo?.searchParams.get('code'), 'an authorization code, as if nothing had happened');

  // The real access token still works: nothing above revoked or corrupted it.
  const userinfo = await fetch(`${fx.server.url}/me`, { headers: { authorization: `Bearer ${fx.accessToken}` } });
  assert.equal(userinfo.status, 200);
});

test('no secret or token sent above reached the server log, and no request was logged as an error', () => {
  const logs = fx.server.rawLogs();
  assert.ok(logs.length > 1000, 'the server did log (trace level)');
  const secrets = [
    fx.user.password,
    fx.web.clientSecret,
    fx.machine.clientSecret,
    fx.accessToken,
    fx.interaction.csrf,
    ...Object.values(GARBAGE),
    GARBAGE.longToken.slice(0, 64),
    GARBAGE.nulToken.slice(0, 20),
  ];
  for (const secret of secrets.filter((value) => value.length >= 8)) {
    assert.ok(!logs.includes(secret), `a secret leaked into the logs: ${secret.slice(0, 12)}…`);
    assert.ok(!logs.includes(JSON.stringify(secret).slice(1, -1)), `a secret leaked into the logs (JSON-escaped): ${secret.slice(0, 12)}…`);
  }
  const errors = fx.server.logs.filter((line) => typeof line.level === 'number' && line.level >= 50);
  assert.deepEqual(
    errors.map((line) => `${String(line.msg)}: ${String((line.err as { message?: string } | undefined)?.message ?? '')} (request ${String(line.requestId ?? '')})`),
    [],
    'hostile input is a client error, never a server error in the log',
  );
});
