import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { createUser } from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';
import { startUpstream, type Upstream } from '../../harness/upstream/process.ts';
import { authorizationRequest, Browser, createIdp, signInUpstream, submit, toUpstream, upstreamFor, walk, webApp } from './setup.ts';

let server: TestServer;
let acme: Upstream;
before(async () => {
  server = await startServer();
  acme = await upstreamFor(server, ['acme']);
  await server.gatehouse.services.rbac.createRole({ name: 'platform-admin' });
  await createIdp(server, acme, { name: 'acme', displayName: 'Acme', domains: ['acme.test'], jit: true, groupRoles: { 'platform-admins': ['platform-admin'] } });
});
after(async () => {
  await acme?.stop();
  await server?.close();
});

test('a new person signs in through the company provider: account created just in time, roles mapped, amr fed and idp in the ID token', async () => {
  const { client, config } = await webApp(server);
  const request = await authorizationRequest(config);
  const browser = new Browser();
  const upstreamPage = await toUpstream(browser, request.url, 'acme');
  assert.equal(new URL(upstreamPage.url).origin, acme.issuer, 'the browser is at the upstream');
  const { callback } = await signInUpstream(browser, upstreamPage, 'alice');
  assert.ok(callback, 'back at the app with a code');
  const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: request.codeVerifier, expectedState: request.state });
  const { payload } = await jwtVerify(tokens.id_token!, createRemoteJWKSet(new URL(`${server.url}/jwks`)), { issuer: server.url, audience: client.clientId });
  assert.deepEqual(payload.amr, ['fed']);
  assert.equal(payload.idp, 'acme');

  const account = await server.gatehouse.services.accounts.findByEmail('alice@acme.test');
  assert.ok(account, 'the account was created just in time');
  assert.equal(payload.sub, account.id);
  assert.equal(account.name, 'Alice Upstream');
  assert.deepEqual(await server.gatehouse.services.rbac.allRoleNames({ kind: 'user', id: account.id }), ['platform-admin']);
  await server.gatehouse.services.audit.flush();
  const events = (await server.gatehouse.services.audit.query({ limit: 200 })).filter((e) => e.subject === account.id).map((e) => e.type);
  assert.ok(events.includes('federation.jit_created') && events.includes('federation.signin'), events.join(','));

  // Signed in at Gatehouse: a second authorization does not go upstream again.
  const again = await authorizationRequest(config, { prompt: 'none' });
  const silent = await walk(browser, again.url);
  assert.ok(silent.callback?.searchParams.get('code'), `single sign-on without another upstream trip: ${silent.page?.html.slice(0, 200)}`);
});

test('an upstream that is down gives a clear page, and password sign-in keeps working', async () => {
  const down = await upstreamFor(server, ['flaky']);
  await createIdp(server, down, { name: 'flaky', domains: ['flaky.test'] });
  await down.stop();
  const { config } = await webApp(server);
  const request = await authorizationRequest(config);
  const browser = new Browser();
  const login = await walk(browser, request.url);
  const uid = /\/interaction\/([\w-]+)\/login/.exec(login.page!.html)![1];
  const page = await walk(browser, `${server.url}/interaction/${uid}/upstream/flaky`);
  assert.equal(page.page?.status, 503);
  assert.match(page.page!.html, /cannot be reached right now/);
  assert.match(page.page!.html, /sign in with your email and password/);

  // Back to the sign-in page of the same interaction: the password works as ever.
  const user = await createUser(server);
  const back = await walk(browser, new URL(/href="([^"]+\?choose)"/.exec(page.page!.html)![1]!.replaceAll('&amp;', '&'), server.url));
  let step = await submit(browser, back.page!, /\/login$/, { email: user.email, password: user.password });
  if (step.page && /\/confirm"/.test(step.page.html)) step = await submit(browser, step.page, /\/confirm$/, {});
  assert.ok(step.callback?.searchParams.get('code'), 'signed in with the password');
});

test('private_key_jwt to the upstream: Gatehouse makes the key pair, shows the public half, and signs its token requests with the private one', async () => {
  const created = await server.gatehouse.services.federation.create({ name: 'keyed', issuer: 'https://not-yet.example', clientId: 'gatehouse-keyed', clientAuth: 'private_key_jwt', domains: ['acme.test'], jit: true });
  assert.ok(created.publicJwk && !('d' in created.publicJwk), 'the public half only');
  const keyed = await startUpstream({
    users: { bob: { email: 'bob@acme.test', email_verified: true } },
    clients: [{ client_id: 'gatehouse-keyed', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [created.publicJwk] }, redirect_uris: [created.callbackUrl] }],
  });
  try {
    await server.gatehouse.services.federation.update('keyed', { issuer: keyed.issuer });
    const { config } = await webApp(server);
    const request = await authorizationRequest(config);
    const browser = new Browser();
    const { callback } = await signInUpstream(browser, await toUpstream(browser, request.url, 'keyed'), 'bob');
    assert.ok(callback?.searchParams.get('code'), 'the upstream accepted the signed client assertion');
    assert.ok(await server.gatehouse.services.accounts.findByEmail('bob@acme.test'));
  } finally {
    await keyed.stop();
  }
});

test('home-realm discovery reads a cached provider list, and every change made here is seen at once', async () => {
  const federation = server.gatehouse.services.federation;
  assert.equal(await federation.providerForEmail('ada@realm.test'), undefined);
  await federation.create({ name: 'realm', issuer: 'https://realm.example', clientId: 'gatehouse-realm', clientSecret: 'realm-upstream-secret', domains: ['realm.test'], jit: true });
  assert.equal(await federation.providerForEmail('ada@realm.test'), 'realm', 'a new provider is seen at once');
  await federation.update('realm', { enabled: false });
  assert.equal(await federation.providerForEmail('ada@realm.test'), undefined, 'a disabled one is gone at once');
  await federation.update('realm', { enabled: true });
  assert.equal(await federation.providerForEmail('ada@realm.test'), 'realm');
  await federation.delete('realm');
  assert.equal(await federation.providerForEmail('ada@realm.test'), undefined, 'a deleted one too');
});
