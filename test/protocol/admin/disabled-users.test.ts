/**
 * Disabling an account takes effect end to end, over HTTP: its refresh tokens are refused, its
 * browser session no longer signs it in to apps, and no sign-in method lets it back in — also
 * when the account was disabled without ending its sessions (an imported inactive user).
 * Also: the invitation mail the console sends (set-password link) arrives and works.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as oidc from 'openid-client';
import { ADMIN_READ_SCOPE, ADMIN_WRITE_SCOPE } from '../../../src/admin/index.ts';
import { adminToken, openAdminApi } from '../../harness/admin-api.ts';
import { Browser } from '../../harness/browser.ts';
import { authorizationCodeFlow, createUser, createWebClient, discover, REDIRECT_URI, signInThroughPages, tokenRequest } from '../../harness/fixtures.ts';
import { outboxMails } from '../../harness/outbox.ts';
import { startServer, type TestServer } from '../../harness/server.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-disabled-'));
let server: TestServer;
let admin: Awaited<ReturnType<typeof openAdminApi>>;
let writer: string;
before(async () => {
  server = await startServer({ env: { GATEHOUSE_DATA_DIR: dataDir } });
  admin = await openAdminApi(server);
  writer = await adminToken(server, [ADMIN_READ_SCOPE, ADMIN_WRITE_SCOPE]);
});
after(async () => {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const refresh = (client: { clientId: string; clientSecret: string }, token: string) =>
  tokenRequest(server, { grant_type: 'refresh_token', refresh_token: token }, { id: client.clientId, secret: client.clientSecret });

/** One password attempt at the sign-in page (one, so the sign-in backoff does not count more). */
async function signInOnce(client: { clientId: string }, user: { email: string; password: string }): Promise<'signed_in' | 'refused'> {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = new URL(`${server.url}/auth`);
  url.search = new URLSearchParams({
    client_id: client.clientId,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: REDIRECT_URI,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  }).toString();
  const browser = new Browser();
  const page = await browser.follow(url, server.url);
  const html = await page.response!.text();
  const step = await browser.submitForm({ url: server.url, html }, /\/login$/, { email: user.email, password: user.password }, server.url);
  if (step.leftTo) return 'signed_in';
  const answer = await step.response!.text();
  if (answer.includes('/confirm"')) return 'signed_in';
  assert.match(answer, /\/login"/, 'back on the sign-in form');
  return 'refused';
}

test('disabled through the admin API: the refresh token is refused, the password no longer signs in; enabled: it does again', async () => {
  const user = await createUser(server);
  const client = await createWebClient(server);
  const { tokens } = await authorizationCodeFlow(server, await discover(server, client), user);
  assert.equal((await admin.call('PATCH', `/users/${user.id}`, { token: writer, body: { disabled: true } })).status, 200);

  const refused = await refresh(client, String(tokens.refresh_token));
  assert.deepEqual([refused.status, refused.body.error], [400, 'invalid_grant']);
  assert.equal(await signInOnce(client, user), 'refused', 'the right password does not sign a disabled account in');

  await admin.call('PATCH', `/users/${user.id}`, { token: writer, body: { disabled: false } });
  const again = await authorizationCodeFlow(server, await discover(server, client), user);
  assert.ok(again.tokens.access_token, 'enabled: signs in again');
});

test('disabled without ending anything (the domain alone): the refresh token and the live browser session stop working', async () => {
  const user = await createUser(server);
  const client = await createWebClient(server);
  const config = await discover(server, client);
  const { tokens, browser } = await authorizationCodeFlow(server, config, user);
  // As an import of an inactive user does: only disabled_at changes; sessions and grants stay.
  await server.gatehouse.services.accounts.setDisabled(user.id, true);

  const refused = await refresh(client, String(tokens.refresh_token));
  assert.deepEqual([refused.status, refused.body.error], [400, 'invalid_grant']);

  // The same browser, whose Gatehouse session is still there, is not signed in silently.
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    prompt: 'none',
  });
  const silent = await browser.follow(url, server.url);
  assert.ok(silent.leftTo, `the answer goes back to the app: ${silent.response?.status} ${await silent.response?.text()}`);
  assert.equal(silent.leftTo.searchParams.get('code'), null, 'no code for a disabled account');
  assert.equal(silent.leftTo.searchParams.get('error'), 'login_required');
  await assert.rejects(signInThroughPages(server, oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' }), user, browser));
});

test('a password link (the console’s invitation) is mailed and sets the password', async () => {
  const user = await createUser(server);
  const sent = await admin.call('POST', `/users/${user.id}/password-link`, { token: writer });
  assert.deepEqual([sent.status, sent.body], [202, { sent: true }]);
  const mail = (await outboxMails(server, dataDir, user.email)).at(-1);
  assert.ok(mail, 'a mail arrived');
  assert.match(mail.text, /\/password\/reset\?token=/);
});
