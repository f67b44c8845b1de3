/**
 * RFC 8628 §5.1: user codes are short, so guessing them on /device is throttled — per browser
 * session (5 wrong codes) and per IP (20), each for 15 minutes. Attacked over HTTP.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Browser } from '../../harness/browser.ts';
import { startServer, type TestServer } from '../../harness/server.ts';
import { createCliClient, requestDeviceCode, typeUserCode } from './setup.ts';

let server: TestServer;
before(async () => {
  server = await startServer({ env: { GATEHOUSE_TRUST_PROXY: 'true' } });
});
after(() => server.close());

/** A guess that cannot be a live code: the alphabet has no vowels. */
const guess = (i: number) => `BCDF-${String.fromCharCode(66 + (i % 20))}GHK`;

test('one browser session gets 5 wrong codes; the 6th try is refused before any lookup, even with the right code', async () => {
  const clientId = await createCliClient(server);
  const { body: device } = await requestDeviceCode(server, { client_id: clientId, scope: 'openid' });
  const attacker = new Browser('attacker', { 'x-forwarded-for': '203.0.113.40' });
  for (let i = 0; i < 5; i += 1) {
    const page = await typeUserCode(server, attacker, guess(i));
    assert.equal(page.status, 400);
    assert.match(page.html, /That code is not valid/);
  }
  const blocked = await typeUserCode(server, attacker, device.user_code);
  assert.equal(blocked.status, 429);
  assert.match(blocked.html, /Too many wrong codes\. Please wait 15 minutes and try again\./);

  const someoneElse = await typeUserCode(server, new Browser('owner', { 'x-forwarded-for': '198.51.100.41' }), device.user_code);
  assert.equal(someoneElse.status, 200, 'the owner of the code, elsewhere, is not locked out');
  assert.match(someoneElse.html, /Connect Deploy CLI\?/);
});

test('fresh sessions do not help: the 21st wrong code from one IP is a 429 with Retry-After, and audited', async () => {
  const clientId = await createCliClient(server);
  const { body: device } = await requestDeviceCode(server, { client_id: clientId, scope: 'openid' });
  const ip = '203.0.113.50';
  for (let i = 0; i < 20; i += 1) {
    // A new cookie jar every time: the per-session budget never fills.
    const page = await typeUserCode(server, new Browser('bot', { 'x-forwarded-for': ip }), guess(i));
    assert.equal(page.status, 400, `guess ${i + 1} is looked up and refused`);
  }
  const response = await new Browser('bot', { 'x-forwarded-for': ip }).request(`${server.url}/device`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ user_code: device.user_code, xsrf: 'x' }),
  });
  assert.equal(response.status, 429);
  const retryAfter = Number(response.headers.get('retry-after'));
  assert.ok(retryAfter > 60 && retryAfter <= 900, `Retry-After ${retryAfter}`);

  // Spellings oidc-provider's router also serves are limited alike.
  for (const path of ['/DEVICE', '/device/', '/Device/']) {
    const spelled = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip },
      body: new URLSearchParams({ user_code: device.user_code, xsrf: 'x' }),
    });
    assert.equal(spelled.status, 429, path);
  }

  await server.gatehouse.services.audit.flush();
  const limited = await server.gatehouse.services.audit.query({ type: 'device.user_code_limited', limit: 20 });
  assert.ok(limited.some((event) => event.ip === ip));
  assert.ok(!server.rawLogs().includes(device.user_code.replace('-', '')), 'user codes are never logged');
});
