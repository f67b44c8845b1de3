/**
 * The admin console in a real browser (Playwright driving Debian's Chromium, headless), as an
 * operator uses it: sign in with a second factor, register an API and a service, use the secret,
 * create a user and grant a role, rotate keys, disable a user, read the audit trail. Then the
 * refusals (no role, no second factor), axe-core on every page in three languages with screenshots
 * at desktop and 390 px, and the attacks: cross-site form posts, framing, stored XSS.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import axe from 'axe-core';
import { decodeJwt } from 'jose';
import { generate } from 'otplib/functional';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { ADMIN_READ_ROLE, ADMIN_READ_SCOPE, ADMIN_ROLE, adminAudience } from '../../src/admin/index.ts';
import { adminToken } from '../harness/admin-api.ts';
import { authorizationCodeFlow, createWebClient, discover, tokenRequest, uniqueEmail } from '../harness/fixtures.ts';
import { pageChecksSkipped, storageMode } from '../harness/mode.ts';
import { startServer, type TestServer } from '../harness/server.ts';
import { waitFor } from '../harness/wait.ts';

const CHROMIUM = process.env.GATEHOUSE_TEST_CHROMIUM ?? '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM) && `Chromium not found at ${CHROMIUM}: browser tests skipped (apt-get install chromium)`;
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'screenshots', storageMode(), 'console');
const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-console-'));

let server: TestServer;
let browser: Browser;
let operator: { context: BrowserContext; page: Page; email: string; secret: string };
let attacker: Server;
let attackerUrl: string;
let attackerPage = '';

const totp = (secret: string, steps = 0) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 * steps });

async function ensureRole(name: string) {
  const { rbac } = server.gatehouse.services;
  if (!(await rbac.findRole(name))) await rbac.createRole({ name });
}

async function person(roles: string[]) {
  const email = uniqueEmail('console');
  const password = 'violet canyon lantern 42';
  const account = await server.gatehouse.services.accounts.create({ email, password, emailVerified: true, name: 'Console Person' });
  for (const role of roles) await server.gatehouse.services.rbac.grant(role, { kind: 'user', id: account.id });
  return { ...account, password };
}

/** Signs in at the console's redirect; enrols (or uses) TOTP when the sign-in asks. */
async function signInToConsole(page: Page, user: { email: string; password: string }, secret?: string): Promise<string | undefined> {
  await page.goto(`${server.url}/console`);
  await page.locator('#email').fill(user.email);
  await page.locator('#password').fill(user.password);
  await page.locator('form[action$="/login"] button[type=submit]').click();
  await page.waitForLoadState();
  if (await page.locator('#totp-secret').count()) {
    const enrolled = (await page.locator('#totp-secret').textContent())!.replaceAll(/\s/g, '');
    await page.locator('#code').fill(await totp(enrolled));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.locator('#recovery-codes').waitFor();
    await page.getByRole('button', { name: /continue/ }).click();
    await page.waitForURL(/\/console\//);
    return enrolled;
  }
  if (secret && (await page.locator('form[action$="/mfa"]').count())) {
    await page.locator('#code').fill(await totp(secret, 1));
    await page.locator('form[action$="/mfa"] button[type=submit]').click();
  }
  return secret;
}

async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** axe-core in the page (evaluated over CDP, so the strict CSP stays on); fails on serious/critical. */
async function assertAccessible(page: Page, label: string) {
  await page.evaluate(axe.source);
  const results = (await page.evaluate(() =>
    (globalThis as unknown as { axe: typeof axe }).axe.run((globalThis as unknown as { document: axe.ElementContext }).document, { resultTypes: ['violations'] }),
  )) as axe.AxeResults;
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    [],
    `${label}: serious or critical accessibility violations`,
  );
}

before(async () => {
  if (skip) {
    process.stdout.write(`\n!! SKIPPED: ${skip}\n`);
    return;
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await startServer({ env: { GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_DCR_ENABLED: 'true' } });
  await ensureRole(ADMIN_ROLE);
  await ensureRole(ADMIN_READ_ROLE);
  // Another origin on the same host (same site, as a sibling app on another port would be).
  attacker = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(attackerPage));
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const admin = await person([ADMIN_ROLE]);
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  const secret = await signInToConsole(page, admin);
  assert.ok(secret, 'the admin role made the sign-in enrol a second factor');
  operator = { context, page, email: admin.email, secret };
});

after(async () => {
  await browser?.close();
  attacker?.close();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('an operator signs in with a second factor, registers an API and a service, and the copied secret gets a token', { skip }, async () => {
  const { page } = operator;
  assert.match(page.url(), /\/console\/users/);
  assert.equal(await page.locator('.console-bar').getByText(operator.email).count(), 1, 'the operator is named in the bar');

  const api = `https://orders-${Date.now()}.example.test`;
  await page.goto(`${server.url}/console/apis`);
  await page.locator('#identifier').fill(api);
  await page.locator('#api-name').fill('Orders');
  await page.locator('#scopes').fill('orders.read: Read your orders');
  await page.locator('#claim-roles').check();
  await page.getByRole('button', { name: 'Register API' }).click();
  await page.getByText('API registered.').waitFor();
  assert.equal(await page.getByText('Read your orders').count(), 1);

  await page.goto(`${server.url}/console/clients/new`);
  await page.getByRole('link', { name: /Service \(machine to machine\)/ }).click();
  await page.locator('#name').fill('Nightly export');
  await page.locator('#resource').selectOption(api);
  await page.getByLabel(/orders\.read/).check();
  await page.getByRole('button', { name: 'Register' }).click();
  await page.locator('#client-secret').waitFor();
  await shot(page, 'client-secret-once');
  const clientId = (await page.locator('#client-id').textContent())!.trim();
  const clientSecret = (await page.locator('#client-secret').textContent())!.trim();

  const token = await tokenRequest(server, { grant_type: 'client_credentials', resource: api, scope: 'orders.read' }, { id: clientId, secret: clientSecret });
  assert.equal(token.status, 200, JSON.stringify(token.body));
  const claims = decodeJwt(String(token.body.access_token));
  assert.equal(claims.aud, api);
  assert.equal(claims.scope, 'orders.read');

  // Dynamic registration: mint an initial access token (shown once); a client registers with it.
  await page.goto(`${server.url}/console/registration`);
  await page.locator('#iat-description').fill('partner onboarding');
  await page.locator('#iat-hosts').fill('partner.example.test');
  await page.getByRole('button', { name: 'Create a token' }).click();
  const iat = (await page.locator('#initial-access-token').textContent())!.trim();
  const registered = await fetch(`${server.url}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${iat}` },
    body: JSON.stringify({ client_name: 'Partner', redirect_uris: ['https://partner.example.test/cb'] }),
  });
  assert.equal(registered.status, 201);
  await page.goto(`${server.url}/console/registration`);
  assert.match((await page.locator('tbody tr', { hasText: 'partner onboarding' }).textContent()) ?? '', /1 \/ 1/);

  // The secret is shown once: the client's page does not have it.
  await page.goto(`${server.url}/console/clients/${encodeURIComponent(clientId)}`);
  assert.equal(await page.locator('#client-secret').count(), 0);
  assert.equal((await page.content()).includes(clientSecret), false);
});

test('create a user, grant a role, the role is in their next access token; disabling refuses their refresh token; the audit view has it all', { skip }, async () => {
  const { page } = operator;
  const api = `https://notes-${Date.now()}.example.test`;
  await server.gatehouse.services.apis.create({ identifier: api, name: 'Notes', scopes: [{ name: 'notes', description: 'Notes' }], claims: ['roles'] });
  const app = await createWebClient(server, { resources: [api], scopes: ['openid', 'offline_access', 'notes'] });

  await page.goto(`${server.url}/console/roles`);
  await page.locator('#role-name').fill('notes-editor');
  await page.getByRole('button', { name: 'Create role' }).click();
  await page.getByText('Role created.').waitFor();

  const email = uniqueEmail('console-made');
  const password = 'quartz meadow signal 77';
  await page.goto(`${server.url}/console/users/new`);
  await page.locator('#email').fill(email);
  await page.locator('#name').fill('Made In Console');
  await page.locator('#password').fill(password);
  await page.locator('#verified').check();
  await page.getByRole('button', { name: 'Create user' }).click();
  await page.getByText('User created.').waitFor();
  await page.locator('#grant-role').selectOption('notes-editor');
  await page.getByRole('button', { name: 'Grant', exact: true }).click();
  await page.getByText('Role granted.').waitFor();
  const userUrl = page.url().split('?')[0]!;

  const config = await discover(server, app);
  const { tokens } = await authorizationCodeFlow(server, config, { email, password }, { scope: 'openid offline_access notes', resource: api }, { resource: api });
  assert.deepEqual(decodeJwt(tokens.access_token).roles, ['notes-editor']);
  assert.ok(tokens.refresh_token);

  // Search finds them by name and by role.
  await page.goto(`${server.url}/console/users?q=made+in+console`);
  assert.equal(await page.getByRole('link', { name: email }).count(), 1);
  await page.goto(`${server.url}/console/users?role=notes-editor`);
  assert.equal(await page.getByRole('link', { name: email }).count(), 1);

  await page.goto(userUrl);
  await page.getByRole('button', { name: /^Disable/ }).click();
  await page.getByText(/User disabled/).waitFor();
  assert.equal((await page.locator('#user-state').textContent())?.trim(), 'Disabled');
  const refreshed = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, { id: app.clientId, secret: app.clientSecret });
  assert.equal(refreshed.status, 400);
  assert.equal(refreshed.body.error, 'invalid_grant');

  // The keys timeline changes when the operator rotates.
  await page.goto(`${server.url}/console/keys`);
  const before = await page.locator('#key-timeline tbody tr').count();
  await page.getByRole('button', { name: 'Rotate now' }).click();
  await page.getByText(/New signing keys published/).waitFor();
  assert.ok((await page.locator('#key-timeline tbody tr').count()) > before, 'a new key joins the timeline');
  assert.ok((await page.locator('#key-timeline tr[data-state="published"], #key-timeline tr[data-state="pending"]').count()) >= 1);

  // Everything the operator did is in the audit trail, attributed to them.
  const operatorId = (await server.gatehouse.services.accounts.findByEmail(operator.email))!.id;
  await page.goto(`${server.url}/console/audit?user=${encodeURIComponent(email)}`);
  for (const type of ['user.created', 'user.disabled']) {
    const row = page.locator('tbody tr', { hasText: type });
    assert.equal(await row.count(), 1, `${type} is listed`);
    assert.match((await row.textContent()) ?? '', new RegExp(operatorId));
  }
  // The time filter: nothing of this from tomorrow on; all of it since yesterday.
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 16);
  await page.goto(`${server.url}/console/audit?type=user.disabled&since=${day(1)}`);
  assert.equal(await page.locator('tbody tr', { hasText: 'user.disabled' }).count(), 0);
  await page.goto(`${server.url}/console/audit?type=user.disabled&since=${day(-1)}&until=${day(1)}`);
  assert.ok((await page.locator('tbody tr', { hasText: 'user.disabled' }).count()) >= 1);
  await page.goto(`${server.url}/console/audit?type=key.rotated`);
  await page.getByRole('button', { name: 'Verify the hash chain' }).click();
  await page.locator('#chain-status').waitFor();
  assert.match((await page.locator('#chain-status').textContent()) ?? '', /intact/);
});

test('identity providers: an operator adds one, edits it keeping the secret, disables it, and deletes it with a typed confirmation', { skip }, async () => {
  const { page } = operator;
  const { federation } = server.gatehouse.services;
  const name = `acme-${Date.now().toString(36)}`;
  await page.goto(`${server.url}/console/idps`);
  await page.locator('#idp-name').fill(name);
  await page.locator('#idp-display-name').fill('Acme Workforce');
  await page.locator('#idp-issuer').fill('https://login.acme-corp.example.test');
  await page.locator('#idp-client-id').fill('gatehouse-at-acme');
  await page.locator('#idp-client-secret').fill('upstream secret 7f3a9c');
  await page.locator('#idp-domains').fill('acme-corp.example.test');
  await page.locator('#idp-jit').check();
  await page.getByRole('button', { name: 'Add identity provider' }).click();
  await page.getByText(/Identity provider added/).waitFor();
  assert.equal((await page.locator('#idp-callback').textContent())?.trim(), `${server.url}/federation/${name}/callback`);
  assert.equal((await page.content()).includes('upstream secret 7f3a9c'), false, 'the secret is never shown');
  let stored = await federation.find(name);
  assert.equal(stored.displayName, 'Acme Workforce');
  assert.deepEqual(stored.domains, ['acme-corp.example.test']);
  assert.equal(stored.jit, true);
  assert.equal(stored.hasClientSecret, true);
  assert.equal(stored.enabled, true);

  // A refusal of the admin API comes back on the form, in its words; nothing changes.
  await page.locator('#idp-domains').fill('not a domain');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('.error[role=alert]').waitFor();
  assert.match((await page.locator('.error[role=alert]').textContent()) ?? '', /domain/);
  assert.deepEqual((await federation.find(name)).domains, ['acme-corp.example.test']);

  // Edit: a blank secret keeps the stored one.
  await page.goto(`${server.url}/console/idps/${name}`);
  await page.locator('#idp-display-name').fill('Acme Corp');
  await page.locator('#idp-jit').uncheck();
  await page.getByText('Claims and group → role mapping').click();
  await page.locator('#idp-groupsClaim').fill('groups_direct');
  await page.locator('#idp-group-roles').fill('cn=eng,dc=acme = developer reviewer\nops = operator');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Saved.').waitFor();
  stored = await federation.find(name);
  assert.equal(stored.displayName, 'Acme Corp');
  assert.equal(stored.jit, false);
  assert.equal(stored.claimMapping.groups, 'groups_direct');
  assert.deepEqual(stored.groupRoles, { 'cn=eng,dc=acme': ['developer', 'reviewer'], ops: ['operator'] });
  const readBack = (await page.locator('#idp-group-roles').inputValue()).split('\n').sort();
  assert.deepEqual(readBack, ['cn=eng,dc=acme = developer reviewer', 'ops = operator'], 'the mapping reads back as typed');
  assert.equal(stored.hasClientSecret, true, 'the blank secret field kept the stored secret');

  await page.getByRole('button', { name: 'Disable' }).click();
  await page.getByText('Identity provider disabled.').waitFor();
  assert.equal((await federation.find(name)).enabled, false);
  await page.goto(`${server.url}/console/idps`);
  assert.match((await page.locator('#idp-list tbody tr', { hasText: name }).textContent()) ?? '', /Disabled/);
  await page.goto(`${server.url}/console/idps/${name}`);
  await page.getByRole('button', { name: 'Enable' }).click();
  await page.getByText('Identity provider enabled.').waitFor();
  assert.equal((await federation.find(name)).enabled, true);

  // Delete: the wrong name changes nothing; the right one deletes.
  await page.locator('#confirm').fill('acme');
  await page.getByRole('button', { name: 'Delete identity provider' }).click();
  await page.getByText('The confirmation did not match').waitFor();
  assert.equal((await federation.find(name)).name, name);
  await page.goto(`${server.url}/console/idps/${name}`);
  await page.locator('#confirm').fill(name);
  await page.getByRole('button', { name: 'Delete identity provider' }).click();
  await page.getByText('Identity provider deleted.').waitFor();
  assert.equal(await page.locator('#idp-list tbody tr', { hasText: name }).count(), 0);
  await assert.rejects(federation.find(name));
});

test('a device app from the wizard gets a device code over HTTP; an edited API shows its new scope description in the admin API; roles and groups are deleted with a typed confirmation', { skip }, async () => {
  const { page } = operator;
  const api = `https://deploy-${Date.now()}.example.test`;
  await server.gatehouse.services.apis.create({ identifier: api, name: 'Deploy', scopes: [{ name: 'deploy', description: 'Deploy' }], claims: [] });

  // Edit the API: a scope description people read, a claim, an algorithm and a lifetime.
  await page.goto(`${server.url}/console/apis`);
  await page.getByRole('link', { name: 'Deploy', exact: true }).click();
  await page.locator('#scopes').fill('deploy: Deploy builds to production\nlogs: Read deployment logs');
  await page.locator('#claim-roles').check();
  await page.locator('#ttl').fill('600');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Saved.').waitFor();
  assert.equal(await page.locator('#api-scopes').getByText('Deploy builds to production').count(), 1);
  const reader = await adminToken(server, [ADMIN_READ_SCOPE]);
  const fromApi = await fetch(`${server.url}/admin/v1/apis/${encodeURIComponent(api)}`, { headers: { authorization: `Bearer ${reader}` } });
  assert.equal(fromApi.status, 200);
  const edited = (await fromApi.json()) as { scopes: Array<{ name: string; description: string }>; claims: string[]; accessTokenTtl: number };
  assert.deepEqual(edited.scopes, [
    { name: 'deploy', description: 'Deploy builds to production' },
    { name: 'logs', description: 'Read deployment logs' },
  ]);
  assert.deepEqual(edited.claims, ['roles']);
  assert.equal(edited.accessTokenTtl, 600);

  // The wizard's device kind: a public client with the device grant, and the snippet to use it.
  await page.goto(`${server.url}/console/clients/new`);
  await page.getByRole('link', { name: /Device or CLI without a browser/ }).click();
  await page.locator('#name').fill('Deploy CLI');
  assert.equal(await page.locator('#redirect_uris').count(), 0, 'a device app has no redirect URI');
  await page.locator('#resource').selectOption(api);
  await page.getByLabel(/Deploy builds to production/).check();
  await page.getByRole('button', { name: 'Register' }).click();
  await page.locator('#client-id').waitFor();
  assert.equal(await page.locator('#client-secret').count(), 0, 'a public client has no secret');
  const clientId = (await page.locator('#client-id').textContent())!.trim();
  assert.match((await page.locator('main').textContent()) ?? '', /\/device\/auth/);
  const started = await fetch(`${server.url}/device/auth`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: clientId, scope: 'openid deploy', resource: api }),
  });
  assert.equal(started.status, 200, await started.clone().text());
  const device = (await started.json()) as { device_code?: string; user_code?: string; verification_uri?: string };
  assert.ok(device.device_code && device.user_code);
  assert.equal(device.verification_uri, `${server.url}/device`);
  const pending = await tokenRequest(server, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: device.device_code, client_id: clientId });
  assert.equal(pending.body.error, 'authorization_pending');

  // Delete a role (held by a user: they lose it) and a group, each with its name typed.
  const { rbac } = server.gatehouse.services;
  const role = `retired-${Date.now()}`;
  const group = `contractors-${Date.now()}`;
  await rbac.createRole({ name: role });
  await rbac.createGroup({ name: group });
  const holder = await person([role]);
  await page.goto(`${server.url}/console/roles`);
  let item = page.locator('li', { hasText: role });
  await item.getByText('Delete role').first().click();
  await item.getByLabel(`Type ${role} to confirm`).fill(role);
  await item.getByRole('button', { name: 'Delete role' }).click();
  await page.getByText('Role deleted.').waitFor();
  assert.equal(await page.locator('li', { hasText: role }).count(), 0);
  assert.equal(await rbac.findRole(role), undefined);
  assert.deepEqual(await rbac.allRoleNames({ kind: 'user', id: holder.id }), []);
  item = page.locator('li', { hasText: group });
  await item.getByText('Delete group').first().click();
  await item.getByLabel(`Type ${group} to confirm`).fill(group);
  await item.getByRole('button', { name: 'Delete group' }).click();
  await page.getByText('Group deleted.').waitFor();
  assert.equal(await page.locator('li', { hasText: group }).count(), 0);
});

test('editing a client’s redirect URIs keeps every other setting (back-channel logout, lifetimes, passkey and MFA rules …)', { skip }, async () => {
  const { page } = operator;
  const { client } = await server.gatehouse.services.clients.create({
    name: 'Settings keeper',
    type: 'confidential',
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: ['https://keeper.example.test/cb'],
    postLogoutRedirectUris: ['https://keeper.example.test/bye'],
    scopes: ['openid', 'email', 'offline_access'],
    backchannelLogoutUri: 'https://keeper.example.test/backchannel',
    keepOfflineAccessOnLogout: true,
    requireMfa: true,
    requirePasskey: true,
    exactRedirectPort: true,
    accessTokenTtl: 300,
    refreshTokenTtl: 86_400,
  });
  const before = await server.gatehouse.services.clients.find(client.clientId);
  await page.goto(`${server.url}/console/clients/${encodeURIComponent(client.clientId)}`);
  await page.locator('#redirect_uris').fill('https://keeper.example.test/cb\nhttps://keeper.example.test/cb2');
  await Promise.all([page.waitForURL(/done=saved/), page.locator('form:has(#redirect_uris) button[type=submit]').click()]);
  const after = await server.gatehouse.services.clients.find(client.clientId);
  assert.deepEqual(after?.redirectUris, ['https://keeper.example.test/cb', 'https://keeper.example.test/cb2']);
  const { redirectUris: _before, updatedAt: _b, ...keptBefore } = before as unknown as Record<string, unknown>;
  const { redirectUris: _after, updatedAt: _a, ...keptAfter } = after as unknown as Record<string, unknown>;
  assert.deepEqual(keptAfter, keptBefore, 'nothing but the redirect URIs changed');
});

test('user search filters on the organisation (org_id)', { skip }, async () => {
  const { page } = operator;
  const org = `org-${Date.now()}`;
  const member = await person([]);
  await person([]);
  await page.goto(`${server.url}/console/users/${encodeURIComponent(member.id)}`);
  await page.locator('#org').fill(org);
  await page.getByRole('button', { name: 'Save' }).nth(1).click();
  await page.getByText('Saved.').waitFor();
  await page.goto(`${server.url}/console/users`);
  await page.locator('#org').fill(org);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/org=/);
  assert.equal(await page.locator('tbody tr').count(), 1);
  assert.equal(await page.getByRole('link', { name: member.email }).count(), 1);
});

test('a disabled user cannot sign in at all, and enabling lets them back', { skip }, async () => {
  const user = await person([]);
  const { page } = operator;
  await page.goto(`${server.url}/console/users/${encodeURIComponent(user.id)}`);
  await page.getByRole('button', { name: /^Disable/ }).click();
  await page.getByText(/User disabled/).waitFor();
  const context = await browser.newContext({ locale: 'en-US' });
  const attempt = await context.newPage();
  await attempt.goto(`${server.url}/console`);
  await attempt.locator('#email').fill(user.email);
  await attempt.locator('#password').fill(user.password);
  await attempt.locator('form[action$="/login"] button[type=submit]').click();
  await attempt.locator('#form-error').waitFor();
  assert.equal(await attempt.locator('form[action$="/login"]').count(), 1, 'still on the sign-in page');
  await context.close();
  await page.getByRole('button', { name: 'Enable' }).click();
  await page.getByText('User enabled.').waitFor();
});

test('refusals: without the admin role, or without a second factor, the console says so and the admin API refuses the token', { skip }, async () => {
  const adminClient = await createWebClient(server, { resources: [adminAudience(server.url)], scopes: ['openid', 'admin:read', 'admin:write'] });
  const apiRefuses = async (user: { email: string; password: string }, expected: RegExp) => {
    const config = await discover(server, adminClient);
    const { tokens } = await authorizationCodeFlow(server, config, user, { scope: 'openid admin:read', resource: adminAudience(server.url) }, { resource: adminAudience(server.url) });
    const response = await fetch(`${server.url}/admin/v1/users`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(response.status, 403);
    assert.match(((await response.json()) as { detail: string }).detail, expected);
  };

  const nobody = await person([]);
  let context = await browser.newContext({ locale: 'en-US' });
  let page = await context.newPage();
  await signInToConsole(page, nobody);
  await page.getByRole('heading', { name: 'No access to the console' }).waitFor();
  assert.match((await page.locator('main').textContent()) ?? '', /does not hold the admin role/);
  await shot(page, 'refused-role');
  await page.goto(`${server.url}/console/users`);
  assert.equal(await page.locator('.console-bar nav').count(), 0, 'no console page after a refusal');
  await context.close();
  await apiRefuses(nobody, /admin role/);

  // admin:read is not in GATEHOUSE_MFA_REQUIRED_ROLES here, so this person signs in with a password only.
  const noMfa = await person([ADMIN_READ_ROLE]);
  context = await browser.newContext({ locale: 'en-US' });
  page = await context.newPage();
  await signInToConsole(page, noMfa);
  await page.getByRole('heading', { name: 'No access to the console' }).waitFor();
  assert.match((await page.locator('main').textContent()) ?? '', /second factor/);
  assert.equal(await page.getByRole('link', { name: 'Set up two-factor authentication' }).count(), 1);
  await shot(page, 'refused-mfa');
  await context.close();
  await apiRefuses(noMfa, /second factor/);
});

test('a read-only operator (admin:read with a second factor) sees pages without write forms, and a forged write is refused', { skip }, async () => {
  const reader = await person([ADMIN_READ_ROLE]);
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  // Enrol through the account page first (the role does not force it), then sign in to the console.
  await page.goto(`${server.url}/account`);
  await page.locator('#email').fill(reader.email);
  await page.locator('#password').fill(reader.password);
  await page.locator('form[action$="/login"] button[type=submit]').click();
  await page.getByRole('link', { name: 'Turn on two-factor authentication' }).click();
  await page.locator('#totp-secret').waitFor();
  const secret = (await page.locator('#totp-secret').textContent())!.replaceAll(/\s/g, '');
  await page.getByLabel('Code from the app').fill(await totp(secret));
  await page.getByRole('button', { name: 'Turn on' }).click();
  await page.locator('#recovery-codes').waitFor();
  await page.getByRole('button', { name: /continue/ }).click();
  await page.getByRole('button', { name: 'Sign out everywhere' }).click();
  await signInToConsole(page, reader, secret);
  await page.waitForURL(/\/console\/users/);
  assert.match((await page.locator('.console-bar').textContent()) ?? '', /read-only/);
  assert.equal(await page.getByRole('link', { name: 'Create or invite a user' }).count(), 0);
  const target = await person([]);
  const csrf = await page.locator('input[name=csrf]').first().inputValue();
  const forged = await page.request.post(`${server.url}/console/users/${encodeURIComponent(target.id)}/disable`, { form: { csrf }, maxRedirects: 0 });
  assert.equal(forged.status(), 403);
  assert.equal((await server.gatehouse.services.accounts.findById(target.id))?.disabled, false);
  await context.close();
});

test('attacks: a cross-site form post is refused, the console cannot be framed, and stored names are text, not markup', { skip }, async () => {
  const { page, context } = operator;
  const victim = await person([]);
  // CSRF: a page on another origin posts a form to the console with the operator's cookies.
  attackerPage = `<!doctype html><title>x</title><form method="post" action="${server.url}/console/users/${victim.id}/disable"><input name="csrf" value="guess"><button>go</button></form>`;
  const evil = await context.newPage();
  await evil.goto(attackerUrl);
  const [response] = await Promise.all([evil.waitForResponse((r) => r.url().includes('/disable')), evil.getByRole('button', { name: 'go' }).click()]);
  assert.equal(response.status(), 403);
  assert.equal((await server.gatehouse.services.accounts.findById(victim.id))?.disabled, false, 'the forged post changed nothing');

  // The new forms refuse a post without the form's token too (the operator's cookies ride along).
  const { services } = server.gatehouse;
  const target = `csrf-${Date.now().toString(36)}`;
  await services.federation.create({ name: target, issuer: 'https://login.csrf.example.test', clientId: 'x', clientSecret: 'y' }, { actor: 'test' });
  const csrfApi = `https://csrf-${Date.now()}.example.test`;
  await services.apis.create({ identifier: csrfApi, name: 'CSRF', scopes: [{ name: 'a', description: 'Original' }], claims: [] });
  await services.rbac.createRole({ name: target });
  await services.rbac.createGroup({ name: target });
  for (const [path, form] of [
    ['/console/idps', { name: `${target}-2`, issuer: 'https://login.csrf.example.test', clientId: 'x', clientSecret: 'y' }],
    [`/console/idps/${target}`, { displayName: 'Forged' }],
    [`/console/idps/${target}/disable`, {}],
    [`/console/idps/${target}/delete`, { confirm: target }],
    [`/console/apis/${encodeURIComponent(csrfApi)}`, { scopes: 'a: Forged' }],
    [`/console/roles/${target}/delete`, { confirm: target }],
    [`/console/groups/${target}/delete`, { confirm: target }],
  ] as const) {
    const forged = await page.request.post(`${server.url}${path}`, { form: { ...form, csrf: 'guess' }, maxRedirects: 0 });
    assert.equal(forged.status(), 403, `${path} refuses a forged post`);
  }
  const idpAfter = await services.federation.find(target);
  assert.deepEqual([idpAfter.displayName, idpAfter.enabled], [target, true], 'the forged posts changed nothing');
  await assert.rejects(services.federation.find(`${target}-2`));
  assert.equal((await services.apis.find(csrfApi))?.scopes[0]?.description, 'Original');
  assert.ok(await services.rbac.findRole(target));

  // Input the records' schemas refuse is a 400 page from the router, before any handler: no 500, no stack.
  await page.goto(`${server.url}/console/idps`);
  const csrf = await page.locator('input[name=csrf]').first().inputValue();
  for (const [path, form] of [
    ['/console/idps', { name: 'x'.repeat(5000), csrf }],
    [`/console/users/${victim.id}/no-such-action`, { csrf }],
    ['/console/clients', { kind: 'mainframe', name: 'x', csrf }],
  ] as const) {
    const refused = await page.request.post(`${server.url}${path}`, { form, maxRedirects: 0 });
    assert.equal(refused.status(), 400, `${path} refuses malformed input`);
    assert.doesNotMatch(await refused.text(), /at \w+ \(|node_modules|ZodError/, `${path}: no stack trace`);
  }
  assert.equal((await services.federation.list()).some((idp) => idp.name.startsWith('xxxxx')), false);

  // Clickjacking: the console refuses to render in a frame on another origin.
  attackerPage = `<!doctype html><title>x</title><iframe src="${server.url}/console/users" title="console"></iframe>`;
  const [framed] = await Promise.all([evil.waitForResponse((r) => r.url() === `${server.url}/console/users`), evil.goto(attackerUrl)]);
  assert.match(framed.headers()['content-security-policy'] ?? '', /frame-ancestors 'none'/);
  const child = evil.frames().find((frame) => frame !== evil.mainFrame());
  await waitFor('the framed console is blocked', async () => !(await child?.content().catch(() => ''))?.includes('console-bar'));
  await evil.close();

  // Stored XSS: every field an admin or a registering client fills is rendered as text.
  const probe = (id: string) => `<b id="${id}">x</b><img src=x onerror="document.title='pwned'">`;
  await services.clients.create({ name: probe('xss-client'), type: 'confidential', grantTypes: ['client_credentials'] });
  await services.apis.create({ identifier: `https://xss-${Date.now()}.example.test`, name: 'XSS', scopes: [{ name: 'x', description: probe('xss-scope') }], claims: [] });
  const named = await services.accounts.create({ email: uniqueEmail('xss'), password: 'ember walnut quiver 19', emailVerified: true, name: probe('xss-user') });
  const xssIdp = `xss-${Date.now().toString(36)}`;
  await services.federation.create({ name: xssIdp, displayName: probe('xss-idp'), issuer: 'https://login.xss.example.test', clientId: probe('xss-idp-client'), clientSecret: 'y' }, { actor: 'test' });
  const xssApi = `https://xss-edit-${Date.now()}.example.test`;
  await services.apis.create({ identifier: xssApi, name: probe('xss-api-name'), scopes: [{ name: 'x', description: probe('xss-api-scope') }], claims: [] });
  const xssRole = `xss-role-${Date.now()}`;
  await services.rbac.createRole({ name: xssRole, description: probe('xss-role') });
  const { token } = await services.registration.mintInitialAccessToken({ expiresIn: 3600, quota: 1, policy: { redirectUriHosts: ['dcr.example.test'] } } as never);
  const registered = await fetch(`${server.url}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ client_name: probe('xss-dcr'), redirect_uris: ['https://dcr.example.test/cb'] }),
  });
  assert.equal(registered.status, 201, await registered.clone().text());
  for (const [path, id] of [
    ['/console/clients', 'xss-client'],
    ['/console/clients', 'xss-dcr'],
    ['/console/apis', 'xss-scope'],
    [`/console/users/${named.id}`, 'xss-user'],
    ['/console/users?q=xss', 'xss-user'],
    ['/console/idps', 'xss-idp'],
    [`/console/idps/${xssIdp}`, 'xss-idp'],
    [`/console/idps/${xssIdp}`, 'xss-idp-client'],
    [`/console/apis/${encodeURIComponent(xssApi)}`, 'xss-api-name'],
    [`/console/apis/${encodeURIComponent(xssApi)}`, 'xss-api-scope'],
    ['/console/roles', 'xss-role'],
  ] as const) {
    await page.goto(`${server.url}${path}`);
    assert.equal(await page.locator(`#${id}`).count(), 0, `${path}: no element injected`);
    assert.notEqual(await page.title(), 'pwned');
  }
  assert.ok((await page.content()).includes('&lt;b id="xss-role"&gt;'), 'the description is shown as text');
  await page.goto(`${server.url}/console/users/${named.id}`);
  assert.ok((await page.content()).includes('&lt;b id="xss-user"&gt;'), 'the name is shown as text');
});

test('every console page passes axe in English, Spanish and Chinese; screenshots at desktop and 390 px', { skip: skip || pageChecksSkipped() }, async () => {
  const { page, context } = operator;
  const client = (await server.gatehouse.services.clients.list()).find((c) => c.grantTypes.includes('client_credentials'))!;
  // Long unbroken values are what break a narrow layout: an email and a name with no place to wrap.
  const user = await server.gatehouse.services.accounts.create({
    email: `${'x'.repeat(48)}-${Date.now()}@a-rather-long-subdomain.of-an-example-company.test`,
    password: 'ember walnut quiver 19',
    emailVerified: true,
    name: 'Wolfeschlegelsteinhausenbergerdorffwelchevoralternwarengewissenhaftschaferswessen',
  });
  const api = (await server.gatehouse.services.apis.list()).find((entry) => !server.gatehouse.services.apis.isBuiltIn(entry.identifier))!;
  const idp = await server.gatehouse.services.federation.create(
    { name: `axe-${Date.now().toString(36)}`, displayName: 'Axe Corp', issuer: 'https://login.axe.example.test', clientId: 'x', clientSecret: 'y', domains: ['axe.example.test'] },
    { actor: 'test' },
  );
  const pages: Array<[string, string]> = [
    ['users', '/console/users'],
    ['users-new', '/console/users/new'],
    ['users-show', `/console/users/${user.id}`],
    ['clients', '/console/clients'],
    ['clients-new', '/console/clients/new'],
    ['clients-new-web', '/console/clients/new?kind=web'],
    ['clients-show', `/console/clients/${encodeURIComponent(client.clientId)}`],
    ['apis', '/console/apis'],
    ['apis-show', `/console/apis/${encodeURIComponent(api.identifier)}`],
    ['idps', '/console/idps'],
    ['idps-show', `/console/idps/${idp.name}`],
    ['clients-new-device', '/console/clients/new?kind=device'],
    ['roles', '/console/roles'],
    ['keys', '/console/keys'],
    ['audit', '/console/audit'],
    ['registration', '/console/registration'],
  ];
  for (const [language, header] of [
    ['en', 'en-US'],
    ['es', 'es-ES'],
    ['zh', 'zh-CN'],
  ] as const) {
    await context.setExtraHTTPHeaders({ 'accept-language': header });
    for (const [name, path] of pages) {
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.goto(`${server.url}${path}${path.includes('?') ? '&' : '?'}ui_locales=${language}`);
      assert.equal(await page.locator('html').getAttribute('lang'), language === 'zh' ? 'zh-Hans' : language);
      await assertAccessible(page, `${name} (${language})`);
      await shot(page, `${language}-${name}-desktop`);
      await page.setViewportSize({ width: 390, height: 844 });
      const overflow = await page.evaluate(() => {
        const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
        return root.scrollWidth - root.clientWidth;
      });
      assert.ok(overflow <= 1, `${name} (${language}) fits 390 px (overflow ${overflow})`);
      await shot(page, `${language}-${name}-390`);
    }
  }
  await context.setExtraHTTPHeaders({});
  await page.setViewportSize({ width: 1280, height: 800 });
});
