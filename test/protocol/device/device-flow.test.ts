/**
 * RFC 8628 over HTTP: a CLI asks for a code and polls; a person types it on /device. Wrong codes,
 * polling too fast, denial, expiry, unregistered clients and the MFA policy, each as a user or a
 * CLI would notice it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodeJwt } from 'jose';
import { DEVICE_CODE_GRANT } from '../../../src/clients/index.ts';
import { Browser } from '../../harness/browser.ts';
import { createUser, createWebClient } from '../../harness/fixtures.ts';
import { storageMode } from '../../harness/mode.ts';
import { startServer, type TestServer } from '../../harness/server.ts';
import { redisDump } from '../../harness/store-dump.ts';
import { waitFor } from '../../harness/wait.ts';
import { createCliClient, formsOf, personOnDevicePage, poll, requestDeviceCode, typeUserCode } from './setup.ts';

let server: TestServer;
before(async () => {
  // A long polling interval: "too fast" is then any second poll a test makes, however slow the machine.
  server = await startServer({ env: { GATEHOUSE_DEVICE_POLL_INTERVAL: '30', GATEHOUSE_TRUST_PROXY: 'true' } });
});
after(() => server.close());

async function auditEvents(type: string) {
  await server.gatehouse.services.audit.flush();
  return server.gatehouse.services.audit.query({ type, limit: 100 });
}

test('discovery advertises the device authorization endpoint and the grant', async () => {
  const discovery = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
  assert.equal(discovery.device_authorization_endpoint, `${server.url}/device/auth`);
  assert.ok((discovery.grant_types_supported as string[]).includes(DEVICE_CODE_GRANT));
});

test('a CLI gets a code, the person approves on /device, and the next poll returns working tokens', async () => {
  const clientId = await createCliClient(server);
  const user = await createUser(server);
  const { status, body: device } = await requestDeviceCode(server, { client_id: clientId, scope: 'openid email offline_access' });
  assert.equal(status, 200);
  assert.match(device.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/, 'RFC 8628 §6.1: 8 characters of a 20-letter base');
  assert.equal(device.verification_uri, `${server.url}/device`);
  assert.equal(device.interval, 30);
  assert.equal(device.expires_in, 600);

  // Typed as people type it: lower case, no dash.
  const { page, seen } = await personOnDevicePage(server, device.user_code.replace('-', '').toLowerCase(), user);
  assert.match(seen.confirm, /Connect Deploy CLI\?/);
  assert.ok(seen.confirm.includes(device.user_code), 'the confirmation shows the code to compare with the device');
  assert.match(seen.confirm, /See your email address/, 'and what the CLI asks for');
  assert.ok(seen.login, 'a person not signed in goes through the sign-in page');
  assert.ok(!seen.consent, 'a first-party CLI asks for no second consent: the confirmation was it');
  assert.equal(page.status, 200);
  assert.match(page.html, /Device connected/);

  const tokens = await poll(server, clientId, device.device_code);
  assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
  assert.equal(decodeJwt(String(tokens.body.id_token)).sub, user.id);
  assert.ok(tokens.body.refresh_token);
  const userinfo = await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${tokens.body.access_token}` } });
  assert.equal(((await userinfo.json()) as { email?: string }).email, user.email);

  const approved = (await auditEvents('device.approved')).find((event) => event.subject === user.id);
  assert.equal(approved?.actor, clientId);
});

test('a wrong user code is refused with a clear message, and the form keeps what was typed', async () => {
  const page = await typeUserCode(server, new Browser('t', { 'x-forwarded-for': '198.51.100.20' }), 'BCDF-GHJK');
  assert.equal(page.status, 400);
  assert.match(page.html, /That code is not valid\. Check the code shown on your device and try again\./);
  assert.match(page.html, /role="alert"/);
  assert.match(page.html, /value="BCDF-GHJK"/);
});

test('polling faster than the interval is answered slow_down; the CLI is not locked out', async () => {
  const clientId = await createCliClient(server);
  const { body: device } = await requestDeviceCode(server, { client_id: clientId, scope: 'openid' });
  assert.equal((await poll(server, clientId, device.device_code)).body.error, 'authorization_pending');
  const second = await poll(server, clientId, device.device_code);
  assert.equal(second.status, 400);
  assert.equal(second.body.error, 'slow_down');

  // A CLI that keeps polling too fast (every second) is refused until the interval since its last
  // answered poll has passed — refused polls never push the window further out.
  let lastPoll = Date.now();
  let answers = 0;
  await waitFor(
    'a poll to be answered again',
    async () => {
      if (Date.now() - lastPoll < 1000) return false;
      lastPoll = Date.now();
      answers += 1;
      const answer = await poll(server, clientId, device.device_code);
      if (answer.body.error === 'slow_down') return false;
      assert.equal(answer.body.error, 'authorization_pending');
      return true;
    },
    120_000,
  );
  assert.ok(answers > 1, 'some of the fast polls were refused first');
});

test('a person who denies: the CLI gets access_denied and the denial is audited', async () => {
  const clientId = await createCliClient(server);
  const user = await createUser(server);
  const { body: device } = await requestDeviceCode(server, { client_id: clientId, scope: 'openid' });
  const { page } = await personOnDevicePage(server, device.user_code, user, { decision: 'deny' });
  assert.match(page.html, /Access denied/);
  const answer = await poll(server, clientId, device.device_code);
  assert.equal(answer.status, 400);
  assert.equal(answer.body.error, 'access_denied');
  assert.ok((await auditEvents('device.denied')).some((event) => event.actor === clientId));
});

test('cancelling at the sign-in page denies the device too', async () => {
  const clientId = await createCliClient(server);
  const { body: device } = await requestDeviceCode(server, { client_id: clientId, scope: 'openid' });
  const browser = new Browser();
  const confirm = await typeUserCode(server, browser, device.user_code);
  const approve = formsOf(confirm.html).find((f) => f.fields.confirm === 'yes')!;
  const login = await browser.follow(new URL(approve.action), server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(approve.fields),
  });
  const cancel = formsOf(await login.response!.text()).find((f) => f.action.endsWith('/abort'))!;
  const done = await browser.follow(new URL(cancel.action, server.url), server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(cancel.fields),
  });
  assert.match(await done.response!.text(), /Access denied/);
  assert.equal((await poll(server, clientId, device.device_code)).body.error, 'access_denied');
});

test('an expired device code gives expired_token to the CLI and "expired" to the person', async () => {
  const clientId = await createCliClient(server);
  const { body: device } = await requestDeviceCode(server, { client_id: clientId, scope: 'openid' });
  // oidc-provider reads Date.now(); eleven minutes pass (the code lives ten).
  const realNow = Date.now;
  Date.now = () => realNow() + 660_000;
  try {
    const answer = await poll(server, clientId, device.device_code);
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'expired_token');
    const page = await typeUserCode(server, new Browser('t', { 'x-forwarded-for': '198.51.100.21' }), device.user_code);
    assert.match(page.html, /That code has expired\./);
  } finally {
    Date.now = realNow;
  }
});

test('a client not registered for the device grant is refused with unauthorized_client', async () => {
  const web = await createWebClient(server, { tokenEndpointAuthMethod: 'client_secret_post' });
  const refused = await requestDeviceCode(server, { client_id: web.clientId, client_secret: web.clientSecret, scope: 'openid' });
  assert.equal(refused.status, 400, JSON.stringify(refused.body));
  assert.equal(refused.body.error, 'unauthorized_client', JSON.stringify(refused.body));
  const clientId = await createCliClient(server);
  const { body: device } = await requestDeviceCode(server, { client_id: clientId, scope: 'openid' });
  const stolen = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: DEVICE_CODE_GRANT, device_code: device.device_code, client_id: web.clientId, client_secret: web.clientSecret }),
  });
  assert.equal(((await stolen.json()) as { error: string }).error, 'unauthorized_client');
});

test('MFA policy applies on the device path: a client requiring MFA makes the person enrol before the CLI gets tokens', async () => {
  const clientId = await createCliClient(server, { requireMfa: true });
  const user = await createUser(server);
  const { body: device } = await requestDeviceCode(server, { client_id: clientId, scope: 'openid' });
  const totp: { secret?: string } = {};
  const { page, seen } = await personOnDevicePage(server, device.user_code, user, { totp });
  assert.ok(seen.enrol, 'the second factor was required');
  assert.match(page.html, /Device connected/);
  const tokens = await poll(server, clientId, device.device_code);
  assert.equal(tokens.status, 200);
  const idToken = decodeJwt(String(tokens.body.id_token));
  assert.equal(idToken.acr, 'urn:gatehouse:loa:2');
});

test('acr_values asking for MFA stop an enrolled user at the second factor: no code, no tokens', async () => {
  const clientId = await createCliClient(server);
  const user = await createUser(server);
  const enrolTotp: { secret?: string } = {};
  // First device: enrol through a client that requires MFA.
  const mfaClient = await createCliClient(server, { requireMfa: true });
  const first = await requestDeviceCode(server, { client_id: mfaClient, scope: 'openid' });
  await personOnDevicePage(server, first.body.user_code, user, { totp: enrolTotp });

  const { body: device } = await requestDeviceCode(server, { client_id: clientId, scope: 'openid', acr_values: 'urn:gatehouse:loa:2' });
  const stopped = await personOnDevicePage(server, device.user_code, user, { totp: {} });
  assert.ok(stopped.seen.mfa, 'the second-factor page is shown');
  assert.equal((await poll(server, clientId, device.device_code)).body.error, 'authorization_pending', 'the password alone approves nothing');
});

test('a dump of Redis holds neither the device code nor the user code, waiting or approved', { skip: storageMode() !== 'services' && 'the in-process store of embedded mode has no dump' }, async () => {
  const clientId = await createCliClient(server);
  const user = await createUser(server);
  const { body: device } = await requestDeviceCode(server, { client_id: clientId, scope: 'openid' });
  const typed = device.user_code.replace('-', '');
  const waiting = await redisDump(server);
  assert.ok(waiting.length > 0);
  assert.ok(!waiting.includes(device.device_code), 'device code');
  assert.ok(!waiting.includes(device.user_code), 'user code');
  assert.ok(!waiting.includes(typed), `typed ${typed}: ${waiting.slice(Math.max(0, waiting.indexOf(typed) - 300), waiting.indexOf(typed) + 50)}`);
  await personOnDevicePage(server, device.user_code, user);
  const approved = await redisDump(server);
  assert.ok(!approved.includes(device.device_code) && !approved.includes(typed) && !approved.includes(device.user_code));
  assert.equal((await poll(server, clientId, device.device_code)).status, 200, 'and the code still works for its CLI');
});
