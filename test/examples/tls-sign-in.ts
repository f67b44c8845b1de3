/**
 * A browser sign-in through the TLS front, as a person would do it on the compose stack: Chromium
 * opens the demo client's authorization request at the https issuer (Caddy, `tls internal`),
 * signs in on Gatehouse's page, lands on the client's redirect URI with a code, and the code is
 * exchanged at the token endpoint over TLS verified against Caddy's local CA (NODE_EXTRA_CA_CERTS).
 * Run by .ci/verify-image.sh against the image tree; exits non-zero on any failure.
 *
 *   node test/examples/tls-sign-in.ts ISSUER CLIENT_ID EMAIL REDIRECT_URI   (the password on stdin)
 *
 * The redirect URI is the client's (the compose example's https://localhost:8443/demo/callback):
 * the browser's request to it carries the code, whether or not an app answers there.
 */
import { createHash, randomBytes } from 'node:crypto';
import { text } from 'node:stream/consumers';
import { chromium } from 'playwright-core';

const [issuer, clientId, email, redirectUri] = process.argv.slice(2);
if (!issuer || !clientId || !email || !redirectUri) throw new Error('usage: tls-sign-in.ts ISSUER CLIENT_ID EMAIL REDIRECT_URI (password on stdin)');
const password = (await text(process.stdin)).trim();
const verifier = randomBytes(32).toString('base64url');
const challenge = createHash('sha256').update(verifier).digest('base64url');
const state = randomBytes(8).toString('hex');

const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { issuer: string; token_endpoint: string };
if (discovery.issuer !== issuer) throw new Error(`discovery names issuer ${discovery.issuer}, expected ${issuer}`);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  // Chromium does not know Caddy's local CA (the test does not install it system-wide).
  const page = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
  const authorize = new URL(`${issuer}/auth`);
  for (const [name, value] of Object.entries({
    client_id: clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: 'openid email',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
  })) authorize.searchParams.set(name, value);
  await page.goto(authorize.href);
  await page.fill('#email', email);
  await page.fill('#password', password);
  const [callback] = await Promise.all([
    page.waitForRequest((request) => request.url().startsWith(redirectUri), { timeout: 60_000 }),
    page.click('form button[type=submit]'),
  ]);
  const landed = new URL(callback.url());
  const code = landed.searchParams.get('code');
  if (!code || landed.searchParams.get('state') !== state) throw new Error(`no code at the redirect URI: ${landed.href}`);
  if (landed.searchParams.get('iss') !== issuer) throw new Error(`the response names iss ${landed.searchParams.get('iss')}`);

  const token = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: clientId, code_verifier: verifier }),
  });
  const body = (await token.json()) as { id_token?: string; access_token?: string; error?: string };
  if (token.status !== 200 || !body.id_token || !body.access_token) throw new Error(`token endpoint answered ${token.status} ${body.error ?? ''}`);
  const claims = JSON.parse(Buffer.from(body.id_token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iss: string; sub: string };
  if (claims.iss !== issuer) throw new Error(`ID token from ${claims.iss}`);
  // Who signed in, from userinfo (the email claim is released there, over the same TLS front).
  const userinfo = (await (await fetch(`${issuer}/me`, { headers: { authorization: `Bearer ${body.access_token}` } })).json()) as { sub?: string; email?: string };
  if (userinfo.sub !== claims.sub || userinfo.email !== email) throw new Error(`userinfo names ${userinfo.email} (${userinfo.sub}), the ID token ${claims.sub}`);
  process.stdout.write(`signed in through ${issuer}: ${userinfo.email} (sub ${claims.sub})\n`);
} finally {
  await browser.close();
}
