/**
 * Acceptance 2 of #15: every bad answer from an upstream is refused with a page that says what
 * happened; nothing is created; the refusal is audited. The upstream is a real OpenID provider
 * (its own process) told to misbehave on its token endpoint.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type * as oidc from 'openid-client';
import { startServer, type TestServer } from '../../harness/server.ts';
import type { Upstream } from '../../harness/upstream/process.ts';
import { authorizationRequest, Browser, createIdp, type Page, toUpstream, upstreamCallback, upstreamFor, walk, webApp } from './setup.ts';

let server: TestServer;
let acme: Upstream;
let beta: Upstream;
let config: oidc.Configuration;
before(async () => {
  server = await startServer();
  // acme also accepts beta's callback: a malicious or compromised provider sends its answers anywhere.
  [acme, beta] = await Promise.all([upstreamFor(server, ['acme', 'beta']), upstreamFor(server, ['beta'])]);
  await createIdp(server, acme, { name: 'acme', domains: ['acme.test'], jit: true });
  await createIdp(server, beta, { name: 'beta', domains: ['acme.test'], jit: true });
  ({ config } = await webApp(server));
});
after(async () => {
  await Promise.all([acme?.stop(), beta?.stop()]);
  await server?.close();
});

async function atUpstream(provider = 'acme'): Promise<{ browser: Browser; page: Page }> {
  const browser = new Browser();
  const request = await authorizationRequest(config);
  return { browser, page: await toUpstream(browser, request.url, provider) };
}

/** The refusal page, the audit event, and no account for bob. */
async function assertRefused(response: { page?: Page; callback?: URL }, reason: string, text: RegExp, detail?: RegExp) {
  assert.ok(response.page, `a page, not a redirect to the app (${response.callback})`);
  assert.ok(response.page.status === 400 || response.page.status === 503, `status ${response.page.status}`);
  assert.match(response.page.html, /did not work/);
  assert.match(response.page.html, text);
  assert.equal(await server.gatehouse.services.accounts.findByEmail('bob@acme.test'), undefined, 'no account was created');
  await server.gatehouse.services.audit.flush();
  const events = (await server.gatehouse.services.audit.query({ limit: 50 })).filter((e) => e.type === 'federation.callback_refused');
  const event = events.find((e) => (e.details as { reason?: string }).reason === reason);
  assert.ok(event, `audited as ${reason}: ${JSON.stringify(events.map((e) => e.details))}`);
  if (detail) assert.match(String((event.details as { detail?: string }).detail), detail);
}

for (const [mode, detail] of [
  ['wrong_nonce', /nonce/i],
  ['wrong_audience', /aud/i],
  ['expired', /exp/i],
  ['bad_signature', /signature/i],
  ['unknown_kid', /key|kid|JWKS/i],
] as const) {
  test(`an ID token with ${mode.replace('_', ' ')} is refused`, async () => {
    await acme.setMode(mode);
    try {
      const { browser, page } = await atUpstream();
      const callback = await upstreamCallback(browser, page, 'bob');
      await assertRefused(await walk(browser, callback), 'invalid_response', /failed the security checks/, detail);
    } finally {
      await acme.setMode('normal');
    }
  });
}

test('an OAuth error from the upstream token endpoint is refused, with what it said', async () => {
  await acme.setMode('token_error');
  try {
    const { browser, page } = await atUpstream();
    await assertRefused(await walk(browser, await upstreamCallback(browser, page, 'bob')), 'upstream_error', /refused or cancelled/, /invalid_grant/);
  } finally {
    await acme.setMode('normal');
  }
});

test('an error answer at the callback (the person said no upstream) is refused', async () => {
  const { browser, page } = await atUpstream();
  const callback = await upstreamCallback(browser, page, 'bob');
  const denied = new URL(callback.pathname, callback);
  denied.search = new URLSearchParams({ error: 'access_denied', error_description: 'the user said no', state: callback.searchParams.get('state')!, iss: acme.issuer }).toString();
  await assertRefused(await walk(browser, denied), 'upstream_error', /refused or cancelled/, /access_denied/);
});

test('a wrong state, and a state used twice, are refused', async () => {
  const { browser, page } = await atUpstream();
  const callback = await upstreamCallback(browser, page, 'bob');
  const forged = new URL(callback);
  forged.searchParams.set('state', 'a-state-gatehouse-never-issued');
  await assertRefused(await walk(browser, forged), 'unknown_state', /expired or did not start here/);
  await assertRefused(await walk(browser, new URL(`${callback.origin}${callback.pathname}?code=x`)), 'missing_state', /incomplete/);

  // alice's answer works once; the same answer again is a replay.
  const first = await atUpstream();
  const answer = await upstreamCallback(first.browser, first.page, 'alice');
  const used = await walk(first.browser, answer);
  assert.ok(used.callback || /\/confirm"/.test(used.page?.html ?? ''), 'the first use signs in');
  await assertRefused(await walk(first.browser, answer), 'replayed_state', /already used once/);
});

test('mix-up: provider A’s answer at provider B’s callback is refused, by state and by RFC 9207 iss', async () => {
  // A's answer to a sign-in that went to A, delivered at B's callback: the state belongs to A.
  const { browser, page } = await atUpstream('acme');
  const fromA = await upstreamCallback(browser, page, 'bob');
  const atB = new URL(`/federation/beta/callback${fromA.search}`, fromA);
  await assertRefused(await walk(browser, atB), 'wrong_provider', /different identity provider/);

  // A sign-in that went to B; A (malicious) answers it at B's callback with B's state: iss names A.
  const request = await authorizationRequest(config);
  const victim = new Browser();
  const login = await walk(victim, request.url);
  const uid = /\/interaction\/([\w-]+)\/login/.exec(login.page!.html)![1];
  const start = await victim.request(`${server.url}/interaction/${uid}/upstream/beta`);
  const authorizationAtB = new URL(start.headers.get('location')!);
  const forgedAtA = new URL(`${acme.issuer}/auth`);
  for (const [name, value] of authorizationAtB.searchParams) forgedAtA.searchParams.set(name, value);
  forgedAtA.searchParams.set('client_id', 'gatehouse');
  const upstreamPage = await walk(victim, forgedAtA);
  const answer = await upstreamCallback(victim, upstreamPage.page!, 'bob');
  assert.equal(answer.searchParams.get('iss'), acme.issuer, 'A names itself');
  assert.equal(answer.pathname, '/federation/beta/callback');
  await assertRefused(await walk(victim, answer), 'invalid_response', /failed the security checks/, /iss/i);
});
