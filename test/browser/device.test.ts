/**
 * Real browser (Playwright driving Debian's Chromium, headless) and a real CLI library: a "CLI"
 * (openid-client's device grant) polls while a person types its code on /device, signs in and
 * approves; the tokens it gets work. The /device pages pass axe in English, Spanish and
 * Simplified Chinese. Without Chromium the file skips, loudly.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { DEVICE_CODE_GRANT } from '../../src/clients/index.ts';
import { assertAccessible } from '../harness/axe.ts';
import { announceSkip, launchChromium, skipWithoutChromium } from '../harness/chromium.ts';
import { createApi, createUser } from '../harness/fixtures.ts';
import { storageMode } from '../harness/mode.ts';
import { startServer, type TestServer } from '../harness/server.ts';

const skip = skipWithoutChromium;
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'screenshots', storageMode());

let server: TestServer;
let browser: Browser;
let api: string;
let cli: oidc.Configuration;

before(async () => {
  if (announceSkip()) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  // A one-second interval keeps the CLI's polling quick; slow_down is covered in test/protocol/device/.
  server = await startServer({ env: { GATEHOUSE_DEVICE_POLL_INTERVAL: '1' } });
  api = await createApi(server, ['deploy', 'read']);
  const { client } = await server.gatehouse.services.clients.create({
    name: 'Deploy CLI',
    type: 'public',
    grantTypes: [DEVICE_CODE_GRANT, 'refresh_token'],
    scopes: ['openid', 'offline_access', 'deploy'],
    resources: [api],
    firstParty: true,
  });
  cli = await oidc.discovery(new URL(server.url), client.clientId, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

test('a CLI polls while a person approves on /device; its access token is for the API with the scopes asked, and refresh works', { skip }, async () => {
  const user = await createUser(server);
  const device = await oidc.initiateDeviceAuthorization(cli, { scope: 'openid offline_access deploy', resource: api });
  // The CLI starts polling at once, as a CLI does, and keeps polling while the person acts.
  const polling = oidc.pollDeviceAuthorizationGrant(cli, device, { resource: api });

  const page = await (await browser.newContext({ locale: 'en-US' })).newPage();
  await page.goto(device.verification_uri_complete!);
  await page.getByRole('heading', { name: 'Connect a device' }).waitFor();
  assert.equal(await page.getByLabel('Code').inputValue(), device.user_code, 'the link fills the code in; the person still confirms it');
  await assertAccessible(page, '/device');
  await shot(page, 'device-01-enter');
  await page.getByRole('button', { name: 'Continue' }).click();

  await page.getByRole('heading', { name: 'Connect Deploy CLI?' }).waitFor();
  assert.ok((await page.locator('main').innerText()).includes(device.user_code));
  assert.ok((await page.locator('.scopes').innerText()).includes(`deploy on ${api}`));
  await assertAccessible(page, '/device confirmation');
  await shot(page, 'device-02-confirm');
  await page.getByRole('button', { name: 'Approve' }).click();

  // Not signed in yet: Gatehouse's own sign-in page.
  await page.locator('#email').fill(user.email);
  await page.locator('#password').fill(user.password);
  await page.locator('form[action$="/login"] button[type=submit]').click();
  await page.getByRole('heading', { name: 'Device connected' }).waitFor();
  await assertAccessible(page, '/device approved');
  await shot(page, 'device-03-approved');

  const tokens = await polling;
  const jwks = createRemoteJWKSet(new URL(`${server.url}/jwks`));
  const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: server.url, audience: api, typ: 'at+jwt' });
  assert.equal(payload.sub, user.id);
  assert.equal(payload.client_id, cli.clientMetadata().client_id);
  assert.deepEqual(String(payload.scope).split(' ').sort(), ['deploy']);
  assert.equal(tokens.claims()?.sub, user.id);

  const refreshed = await oidc.refreshTokenGrant(cli, tokens.refresh_token!, { resource: api });
  const again = await jwtVerify(refreshed.access_token, jwks, { issuer: server.url, audience: api });
  assert.equal(again.payload.sub, user.id);
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token, 'the refresh token rotated');

  // Signed in now: the next device is approved by the same person, who can also say no.
  const second = await oidc.initiateDeviceAuthorization(cli, { scope: 'openid', resource: api });
  const refused = oidc.pollDeviceAuthorizationGrant(cli, second, { resource: api }).then(
    () => assert.fail('tokens for a denied device'),
    (error: { error?: string }) => error.error,
  );
  await page.goto(second.verification_uri);
  await page.getByLabel('Code').fill(second.user_code.replace('-', '').toLowerCase());
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByText(`Signed in as ${user.email}`).waitFor();
  await page.getByRole('button', { name: 'Deny' }).click();
  await page.getByRole('heading', { name: 'Access denied' }).waitFor();
  await assertAccessible(page, '/device denied');
  assert.equal(await refused, 'access_denied');
});

for (const [locale, language, expect] of [
  ['en-US', 'en', { heading: 'Connect a device', continue: 'Continue', wrong: 'That code is not valid' }],
  ['es-ES', 'es', { heading: 'Conectar un dispositivo', continue: 'Continuar', wrong: 'Ese código no es válido' }],
  ['zh-CN', 'zh-Hans', { heading: '连接设备', continue: '继续', wrong: '该代码无效' }],
] as const) {
  test(`the /device pages pass axe in ${locale}, with a wrong code and with the confirmation`, { skip }, async () => {
    const page = await (await browser.newContext({ locale })).newPage();
    await page.goto(`${server.url}/device`);
    assert.equal(await page.getAttribute('html', 'lang'), language);
    await page.getByRole('heading', { name: expect.heading }).waitFor();
    await assertAccessible(page, `${locale} /device`);
    await page.locator('#user_code').fill('bcdf-ghjk');
    await page.getByRole('button', { name: expect.continue }).click();
    await page.getByRole('alert').filter({ hasText: expect.wrong }).waitFor();
    await assertAccessible(page, `${locale} /device with a wrong code`);
    await shot(page, `device-wrong-${language}`);

    const device = await oidc.initiateDeviceAuthorization(cli, { scope: 'openid deploy', resource: api });
    await page.locator('#user_code').fill(device.user_code);
    await page.getByRole('button', { name: expect.continue }).click();
    await page.locator('input[name="confirm"]').waitFor({ state: 'attached' });
    await assertAccessible(page, `${locale} /device confirmation`);
    await shot(page, `device-confirm-${language}`);
  });
}
