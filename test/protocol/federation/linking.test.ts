/**
 * Acceptance 3 of #15: linking without pre-account takeover. An upstream identity is linked to
 * an existing account only on a verified address in a domain the provider is trusted for;
 * otherwise the owner proves the account (password, then its second factor) first. A domain
 * outside the allow-list is refused. The last way in cannot be unlinked.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { generate } from 'otplib/functional';
import { Browser } from '../../harness/browser.ts';
import { createUser } from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';
import type { Upstream } from '../../harness/upstream/process.ts';
import { authorizationRequest, createIdp, type Page, signInUpstream, submit, toUpstream, upstreamFor, walk, webApp } from './setup.ts';

const USERS = {
  // Claims an address whose account exists here, unverified upstream: a would-be takeover.
  mallory: { email: 'victim@acme.test', email_verified: false },
  owner: { email: 'owner@acme.test', email_verified: false },
  guarded: { email: 'guarded@acme.test', email_verified: false },
  carol: { email: 'carol@acme.test', email_verified: true, groups: [] },
  outsider: { email: 'eve@elsewhere.test', email_verified: true },
  newcomer: { email: 'newcomer@acme.test', email_verified: true },
};

let server: TestServer;
let acme: Upstream;
let config: Awaited<ReturnType<typeof webApp>>['config'];
before(async () => {
  server = await startServer();
  acme = await upstreamFor(server, ['acme'], USERS);
  await createIdp(server, acme, { name: 'acme', displayName: 'Acme', domains: ['acme.test'], jit: true, trustedForDomains: true });
  ({ config } = await webApp(server));
});
after(async () => {
  await acme?.stop();
  await server?.close();
});

const links = (accountId: string) => server.gatehouse.storage.queries.upstreamProviders.linksOf(accountId);

async function upstreamSignIn(login: string, browser = new Browser()) {
  const request = await authorizationRequest(config);
  const page = await toUpstream(browser, request.url, 'acme');
  return { browser, step: await signInUpstream(browser, page, login) };
}

async function auditTypes(subject: string) {
  await server.gatehouse.services.audit.flush();
  return (await server.gatehouse.services.audit.query({ limit: 200 })).filter((e) => e.subject === subject).map((e) => e.type);
}

test('an unverified upstream email for an existing address asks for that account’s password, and never links silently', async () => {
  const victim = await createUser(server, { email: 'victim@acme.test' });
  const { browser, step } = await upstreamSignIn('mallory');
  assert.equal(step.page?.status, 200);
  assert.match(step.page!.html, /already exists\. Enter its password to link/);
  assert.deepEqual(await links(victim.id), [], 'nothing linked yet');
  const wrong = await submit(browser, step.page!, /\/link$/, { password: 'a guess at the victim password' });
  assert.equal(wrong.page?.status, 401);
  assert.match(wrong.page!.html, /\/link"/, 'asked again, on the link page');
  assert.deepEqual(await links(victim.id), [], 'a wrong password links nothing');
  assert.ok(!(await auditTypes(victim.id)).includes('federation.linked'));
});

test('the owner who proves the password gets the link, and signs in through the upstream next time', async () => {
  const owner = await createUser(server, { email: 'owner@acme.test' });
  const { browser, step } = await upstreamSignIn('owner');
  let next = await submit(browser, step.page!, /\/link$/, { password: owner.password });
  if (next.page && /\/confirm"/.test(next.page.html)) next = await submit(browser, next.page, /\/confirm$/, {});
  assert.ok(next.callback?.searchParams.get('code'), 'signed in');
  assert.deepEqual((await links(owner.id)).map((l) => l.provider), ['acme']);
  assert.ok((await auditTypes(owner.id)).includes('federation.linked'));
  const again = await upstreamSignIn('owner');
  assert.ok(again.step.callback || /\/confirm"/.test(again.step.page?.html ?? ''), 'no password asked the second time');
});

test('with a second factor enrolled, the link waits for the code too', async () => {
  const guarded = await createUser(server, { email: 'guarded@acme.test' });
  const { mfa } = server.gatehouse.services;
  const enrolment = await mfa.beginEnrolment(guarded.id, guarded.email, (await mfa.factor(guarded.id)).epoch);
  const code = (stepsAhead: number) => generate({ secret: enrolment.secret, epoch: Math.floor(Date.now() / 1000) + 30 * stepsAhead });
  assert.equal((await mfa.confirmEnrolment(guarded.id, enrolment.id, await code(-1))).kind, 'confirmed');
  const { browser, step } = await upstreamSignIn('guarded');
  const afterPassword = await submit(browser, step.page!, /\/link$/, { password: guarded.password });
  assert.match(afterPassword.page?.html ?? '', /\/mfa"/, 'the second factor is asked');
  assert.deepEqual(await links(guarded.id), [], 'the password alone links nothing');
  let done = await submit(browser, afterPassword.page!, /\/mfa$/, { code: await code(0) });
  if (done.page && /\/confirm"/.test(done.page.html)) done = await submit(browser, done.page, /\/confirm$/, {});
  assert.ok(done.callback, `signed in: ${done.page?.html.slice(0, 300)}`);
  assert.deepEqual((await links(guarded.id)).map((l) => l.provider), ['acme']);
});

test('a verified address in a domain the provider is trusted for links without asking', async () => {
  const carol = await createUser(server, { email: 'carol@acme.test' });
  const { step } = await upstreamSignIn('carol');
  assert.ok(step.callback || /\/confirm"/.test(step.page?.html ?? ''), 'signed in at once');
  assert.deepEqual((await links(carol.id)).map((l) => l.provider), ['acme']);
});

test('an address outside the allowed domains is refused, and nothing is created', async () => {
  const { step } = await upstreamSignIn('outsider');
  assert.equal(step.page?.status, 403);
  assert.match(step.page!.html, /not in a domain allowed/);
  assert.equal(await server.gatehouse.services.accounts.findByEmail('eve@elsewhere.test'), undefined);
});

async function accountPage(browser: Browser): Promise<Page> {
  const { page } = await walk(browser, `${server.url}/account`);
  assert.equal(page?.status, 200);
  return page!;
}

test('links are listed on /account; the last way in cannot be removed, another can', async () => {
  const { browser, step } = await upstreamSignIn('newcomer');
  assert.ok(step.callback || step.page);
  const newcomer = await server.gatehouse.services.accounts.findByEmail('newcomer@acme.test');
  assert.ok(newcomer, 'created just in time, without a password');
  const page = await accountPage(browser);
  assert.match(page.html, /Remove the Acme sign-in/);
  const refused = await submit(browser, page, /\/account\/links\/remove$/, {});
  assert.equal(refused.page?.status, 409, refused.page?.html.slice(0, 2000));
  assert.match(refused.page!.html, /only way into your account/);
  assert.equal((await links(newcomer.id)).length, 1, 'still linked');

  // carol has a password too: her link can go.
  const carol = await upstreamSignIn('carol');
  const carolId = (await server.gatehouse.services.accounts.findByEmail('carol@acme.test'))!.id;
  assert.ok(carol.step.callback || carol.step.page);
  const carolPage = await accountPage(carol.browser);
  const removed = await submit(carol.browser, carolPage, /\/account\/links\/remove$/, {});
  assert.equal(removed.page?.status, 200, `${JSON.stringify(await links(carolId))} ${/<p class="error"[^<]*/.exec(removed.page?.html ?? '')}`);
  assert.match(removed.page!.html, /The link was removed/);
  assert.deepEqual(await links(carolId), []);
  assert.ok((await auditTypes(carolId)).includes('federation.unlinked'));
});
