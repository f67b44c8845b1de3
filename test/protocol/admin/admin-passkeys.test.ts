/**
 * An operator lists and removes a user's passkeys through the admin API (#18 "Admin: list and
 * remove a user's passkeys, audited"): a passkey enrolled over HTTP with a software authenticator,
 * seen without its credential ID or public key, removed — audited with the operator as actor, the
 * user mailed when it was their last factor — and the passkey no longer signs in.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decodeJwt } from 'jose';
import { ADMIN_READ_SCOPE, ADMIN_WRITE_SCOPE } from '../../../src/admin/index.ts';
import { adminToken, openAdminApi } from '../../harness/admin-api.ts';
import { Browser } from '../../harness/browser.ts';
import { createUser, createWebClient } from '../../harness/fixtures.ts';
import { outboxMails } from '../../harness/outbox.ts';
import { csrfIn, type PasskeyFlow, passkeyFlow } from '../../harness/passkey-flow.ts';
import { startServer, type TestServer } from '../../harness/server.ts';
import { SoftAuthenticator } from '../../harness/soft-authenticator.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-admin-passkeys-'));
let server: TestServer;
let admin: Awaited<ReturnType<typeof openAdminApi>>;
let writer: string;
let reader: string;
let flow: PasskeyFlow;
before(async () => {
  server = await startServer({ env: { GATEHOUSE_DATA_DIR: dataDir } });
  admin = await openAdminApi(server);
  writer = await adminToken(server, [ADMIN_READ_SCOPE, ADMIN_WRITE_SCOPE]);
  reader = await adminToken(server, [ADMIN_READ_SCOPE]);
  flow = passkeyFlow(server, await createWebClient(server));
});
after(async () => {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Listed {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  backedUp: boolean;
  deviceBound: boolean;
}
const passkeysOf = async (userId: string, token = reader) => ((await admin.call('GET', `/users/${userId}/passkeys`, { token })).body as { items: Listed[] }).items;

/** Passwordless sign-in with `authenticator`: the outcome as the browser sees it. */
async function passwordless(authenticator: SoftAuthenticator) {
  const browser = new Browser();
  const { uid, csrf } = await flow.startSignIn(browser);
  const { challenge } = await flow.challengeFor(browser, uid, csrf);
  return flow.submit(browser, uid, csrf, authenticator.assert({ challenge, origin: server.url, rpId: flow.rpId }));
}

test('an operator lists a user’s passkey (no credential ID or public key), removes it: audited with the operator, the user mailed, the passkey no longer signs in', async () => {
  const user = await createUser(server);
  const { authenticator } = await flow.enrol(user);
  assert.ok((await passwordless(authenticator)).callback, 'the passkey signs in before the removal');

  const listed = await admin.call('GET', `/users/${user.id}/passkeys`, { token: reader });
  assert.equal(listed.status, 200);
  const [passkey, ...others] = (listed.body as { items: Listed[] }).items;
  assert.ok(passkey);
  assert.deepEqual(others, []);
  assert.equal(passkey.name, 'Laptop');
  assert.ok(passkey.lastUsedAt, 'the sign-in is shown as its last use');
  assert.deepEqual([passkey.backedUp, passkey.deviceBound], [false, true], 'the software authenticator is single-device');
  const text = JSON.stringify(listed.body);
  assert.ok(!text.includes(authenticator.id) && passkey.id !== authenticator.id, 'the WebAuthn credential ID is not shown');
  assert.doesNotMatch(text, /publicKey|credential/i);

  const removed = await admin.call('DELETE', `/users/${user.id}/passkeys/${passkey.id}`, { token: writer });
  assert.deepEqual([removed.status, removed.body], [200, { last: true }]);
  assert.deepEqual(await passkeysOf(user.id), []);

  const events = (await admin.call('GET', `/audit-events?subject=${user.id}&type=passkey.removed_by_admin`, { token: reader })).body as {
    items: Array<{ actor: string | null; details: Record<string, unknown> }>;
  };
  assert.deepEqual(
    events.items.map((event) => [event.actor, event.details]),
    [[decodeJwt(writer).sub, { passkey: passkey.id, last: true }]],
    'audited, naming the operator',
  );
  const mails = await outboxMails(server, dataDir, user.email);
  assert.ok(mails.some((mail) => /two-factor authentication was turned off/i.test(mail.subject)), 'the user is told their last factor is gone');

  const refused = await passwordless(authenticator);
  assert.equal(refused.status, 401, 'the removed passkey no longer signs in');
  assert.equal((await admin.call('DELETE', `/users/${user.id}/passkeys/${passkey.id}`, { token: writer })).status, 404, 'gone');
});

test('removing a passkey needs admin:write; another user’s passkey id, an unknown one or an unknown user is a 404 and nothing is removed', async () => {
  const [owner, other] = [await createUser(server), await createUser(server)];
  const { authenticator } = await flow.enrol(owner);
  await flow.enrol(other);
  const [mine] = await passkeysOf(owner.id);
  assert.ok(mine);

  const readOnly = await admin.call('DELETE', `/users/${owner.id}/passkeys/${mine.id}`, { token: reader });
  assert.equal(readOnly.status, 403, 'an admin:read token cannot remove');
  assert.equal((await admin.call('DELETE', `/users/${other.id}/passkeys/${mine.id}`, { token: writer })).status, 404, 'the id of another user’s passkey');
  assert.equal((await admin.call('DELETE', `/users/${owner.id}/passkeys/no-such-passkey`, { token: writer })).status, 404);
  assert.equal((await admin.call('DELETE', `/users/no-such-user/passkeys/${mine.id}`, { token: writer })).status, 404);
  assert.equal((await admin.call('GET', '/users/no-such-user/passkeys', { token: reader })).status, 404);

  assert.deepEqual((await passkeysOf(owner.id)).map((p) => p.id), [mine.id], 'still there');
  assert.equal((await passkeysOf(other.id)).length, 1);
  assert.ok((await passwordless(authenticator)).callback, 'and still signs in');
});

test('removing one of two passkeys is not the last factor: the other still signs in', async () => {
  const user = await createUser(server);
  const first = await flow.enrol(user);
  const second = { authenticator: new SoftAuthenticator() };
  const page = await first.browser.request(`${server.url}/account`);
  await flow.add(first.browser, csrfIn(await page.text()), second.authenticator, 'Phone');
  const [oldest] = await passkeysOf(user.id);
  assert.ok(oldest);
  const removed = await admin.call('DELETE', `/users/${user.id}/passkeys/${oldest.id}`, { token: writer });
  assert.deepEqual(removed.body, { last: false });
  assert.equal((await passwordless(first.authenticator)).status, 401);
  assert.ok((await passwordless(second.authenticator)).callback);
});
