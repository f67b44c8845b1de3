/**
 * RFC 8693 token exchange in a three-service chain, over HTTP, with openid-client and oauth4webapi,
 * and every refused variant. Acceptance (issue 16 §4): C receives a token with the user as `sub`,
 * A as `act.sub`, audience C only, scopes narrowed.
 */
import assert from 'node:assert/strict';
import { after, before, mock, test } from 'node:test';
import { createAccessTokenVerifier } from 'gatehouse/verify';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { TOKEN_EXCHANGE_GRANT } from '../../../src/clients/index.ts';
import { createMachineClient, createWebClient, tokenRequest } from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';
import { dpopKey } from '../dpop/proofs.ts';
import { chainFixture, createChainApi, createService, SUBJECT_TOKEN_TYPE } from './setup.ts';

let server: TestServer;
let chain: Awaited<ReturnType<typeof chainFixture>>;
let subjectToken: string;
before(async () => {
  server = await startServer();
  chain = await chainFixture(server);
  await chain.setPolicy(chain.b, [{ clients: [chain.bService.clientId], audiences: [chain.c], scopes: ['orders:read'], maxChainDepth: 2 }]);
  await chain.setPolicy(chain.c, [{ clients: [chain.cService.clientId], audiences: [chain.d], scopes: ['orders:read'], mode: 'delegation', maxChainDepth: 2 }]);
  subjectToken = await chain.userToken();
});
after(() => server.close());

test('B exchanges the user token A sent it for a token for C: sub = user, act.sub = A, aud = C only, scopes narrowed (openid-client)', async () => {
  const subject = decodeJwt(subjectToken);
  assert.deepEqual([subject.aud, subject.client_id, subject.scope], [chain.b, chain.app.clientId, 'orders:read orders:write']);
  const issued = await chain.openidClientExchange(chain.bService, { subject_token: subjectToken, resource: chain.c });
  assert.equal(issued.issued_token_type, SUBJECT_TOKEN_TYPE);
  assert.equal(issued.token_type, 'bearer');
  const token = decodeJwt(issued.access_token);
  assert.equal(decodeProtectedHeader(issued.access_token).typ, 'at+jwt');
  assert.equal(token.sub, chain.user.id);
  assert.deepEqual(token.act, { sub: chain.app.clientId });
  assert.equal(token.client_id, chain.bService.clientId);
  assert.equal(token.aud, chain.c);
  assert.equal(token.scope, 'orders:read', 'narrowed to what B’s policy allows');
  assert.ok(Number(token.exp) <= Number(subject.exp), 'never outlives the subject token');

  // C verifies it like any token for itself; B would not accept it.
  const atC = await createAccessTokenVerifier({ issuer: server.url, audience: chain.c }).verify(issued.access_token, { scopes: ['orders:read'] });
  assert.equal(atC.subject, chain.user.id);
  await assert.rejects(createAccessTokenVerifier({ issuer: server.url, audience: chain.b }).verify(issued.access_token));
  const audit = server.logs.filter((line) => line.event === 'token.exchanged');
  assert.ok(audit.some((line) => line.actor === chain.bService.clientId && line.subject === chain.user.id), 'audited');
});

test('C passes it on to D: the act chain nests, B outermost, A inside; one hop more is refused', async () => {
  const toC = await chain.exchange(chain.bService, { subject_token: subjectToken, audience: chain.c });
  assert.equal(toC.status, 200, 'the target may be named with audience as well');
  const toD = await chain.openidClientExchange(chain.cService, { subject_token: String(toC.body.access_token), resource: chain.d });
  const token = decodeJwt(toD.access_token);
  assert.deepEqual(token.act, { sub: chain.bService.clientId, act: { sub: chain.app.clientId } });
  assert.equal(token.sub, chain.user.id);
  assert.equal(token.aud, chain.d);

  // D's policy allows D → B, but only one service in a chain: this token has been through two.
  await chain.setPolicy(chain.d, [{ clients: [chain.cService.clientId], audiences: [chain.d], scopes: ['orders:read'], maxChainDepth: 2 }]);
  const third = await chain.exchange(chain.cService, { subject_token: toD.access_token, resource: chain.d });
  assert.equal(third.status, 400);
  assert.equal(third.body.error, 'invalid_request');
  assert.match(String(third.body.error_description), /passed through 2 services/);
});

test('impersonation: the token for C carries no act', async () => {
  const e = await createChainApi(server, 'e');
  const service = await createService(server, 'impersonating service', [chain.c]);
  await server.gatehouse.services.apis.update(chain.b, {
    tokenExchange: [
      { clients: [chain.bService.clientId], audiences: [chain.c], scopes: ['orders:read'], mode: 'delegation', maxChainDepth: 2 },
      { clients: [service.clientId], audiences: [chain.c, e], scopes: ['orders:read', 'orders:write'], mode: 'impersonation', maxChainDepth: 1 },
    ],
  });
  const issued = await chain.exchange(service, { subject_token: subjectToken, resource: chain.c });
  assert.equal(issued.status, 200, JSON.stringify(issued.body));
  const token = decodeJwt(String(issued.body.access_token));
  assert.equal(token.act, undefined);
  assert.equal(token.sub, chain.user.id);
  assert.equal(token.scope, 'orders:read orders:write');
});

test('refused: a client the policy does not name, a target it does not allow, a target the client is not registered for', async () => {
  const stranger = await createService(server, 'stranger', [chain.c]);
  const notNamed = await chain.exchange(stranger, { subject_token: subjectToken, resource: chain.c });
  assert.deepEqual([notNamed.status, notNamed.body.error], [400, 'invalid_request']);
  const notAllowed = await chain.exchange(chain.bService, { subject_token: subjectToken, resource: chain.d });
  assert.deepEqual([notAllowed.status, notAllowed.body.error], [400, 'invalid_target'], 'B-service may call D, but B’s policy does not send tokens there');
  const unregistered = await createChainApi(server, 'unregistered');
  await server.gatehouse.services.apis.update(chain.b, {
    tokenExchange: [{ clients: [chain.bService.clientId], audiences: [chain.c, unregistered], scopes: ['orders:read'], maxChainDepth: 2 }],
  });
  const notRegistered = await chain.exchange(chain.bService, { subject_token: subjectToken, resource: unregistered });
  assert.deepEqual([notRegistered.status, notRegistered.body.error], [400, 'invalid_target'], 'the client registration still applies');
});

test('refused: scopes wider than the policy or than the subject token (invalid_scope naming them)', async () => {
  await server.gatehouse.services.apis.update(chain.b, {
    tokenExchange: [{ clients: [chain.bService.clientId], audiences: [chain.c], scopes: ['orders:read', 'orders:write'], maxChainDepth: 2 }],
  });
  const readOnly = await chain.userToken(chain.b, 'orders:read');
  const widerThanSubject = await chain.exchange(chain.bService, { subject_token: readOnly, resource: chain.c, scope: 'orders:write' });
  assert.deepEqual([widerThanSubject.status, widerThanSubject.body.error], [400, 'invalid_scope']);
  assert.match(String(widerThanSubject.body.error_description), /orders:write/);
  await server.gatehouse.services.apis.update(chain.b, {
    tokenExchange: [{ clients: [chain.bService.clientId], audiences: [chain.c], scopes: ['orders:read'], maxChainDepth: 2 }],
  });
  const widerThanPolicy = await chain.exchange(chain.bService, { subject_token: subjectToken, resource: chain.c, scope: 'orders:read orders:write' });
  assert.deepEqual([widerThanPolicy.status, widerThanPolicy.body.error], [400, 'invalid_scope']);
  const unknown = await chain.exchange(chain.bService, { subject_token: subjectToken, resource: chain.c, scope: 'orders:admin' });
  assert.equal(unknown.body.error, 'invalid_scope');
});

test('refused subject tokens: garbage, a forged signature, expired, for an API without a policy, a service token', async () => {
  const refuse = async (subject_token: string, pattern: RegExp, error = 'invalid_request') => {
    const answer = await chain.exchange(chain.bService, { subject_token, resource: chain.c });
    assert.deepEqual([answer.status, answer.body.error], [400, error], subject_token.slice(0, 40));
    assert.match(String(answer.body.error_description), pattern);
  };
  await refuse('garbage', /invalid, expired or revoked/);
  const [header, payload] = subjectToken.split('.');
  const forgedPayload = Buffer.from(JSON.stringify({ ...decodeJwt(subjectToken), scope: 'orders:read orders:write orders:admin' })).toString('base64url');
  await refuse(`${header}.${forgedPayload}.${subjectToken.split('.')[2]}`, /invalid, expired or revoked/);
  assert.ok(payload);
  await refuse(await chain.userToken(chain.plain), /may not exchange tokens issued for/);
  const machine = await createMachineClient(server, chain.b, ['orders:read']);
  const serviceToken = await tokenRequest(server, { grant_type: 'client_credentials', scope: 'orders:read' }, { id: machine.clientId, secret: machine.clientSecret });
  await refuse(String(serviceToken.body.access_token), /has no user/);
  mock.timers.enable({ apis: ['Date'], now: Date.now() });
  try {
    mock.timers.setTime(Date.now() + 24 * 3600 * 1000);
    await refuse(subjectToken, /invalid, expired or revoked/);
  } finally {
    mock.timers.reset();
  }
  const logged = server.logs.filter((line) => line.event === 'token.exchange_refused');
  assert.ok(logged.length >= 5, 'refusals are audited');
});

test('refused requests: other token types, actor_token, a refresh token asked for, no target or two, and a client without the grant', async () => {
  const base = { subject_token: subjectToken, resource: chain.c };
  const cases: Array<[Record<string, string>, string, RegExp]> = [
    [{ ...base, subject_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }, 'invalid_request', /subject_token_type/],
    [{ ...base, actor_token: subjectToken, actor_token_type: SUBJECT_TOKEN_TYPE }, 'invalid_request', /actor_token/],
    [{ ...base, requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }, 'invalid_request', /requested_token_type/],
    [{ subject_token: subjectToken }, 'invalid_target', /exactly one API/],
    [{ ...base, audience: chain.d }, 'invalid_target', /exactly one API/],
    [{ resource: chain.c }, 'invalid_request', /subject_token/],
  ];
  for (const [parameters, error, description] of cases) {
    const answer = await chain.exchange(chain.bService, parameters);
    assert.deepEqual([answer.status, answer.body.error], [400, error], JSON.stringify(Object.keys(parameters)));
    assert.match(String(answer.body.error_description), description);
  }
  const withoutGrant = await createService(server, 'no exchange grant', [chain.c], ['client_credentials']);
  const answer = await chain.exchange(withoutGrant, base);
  assert.equal(answer.body.error, 'unauthorized_client');
});

test('opaque subject tokens: accepted while valid, refused once revoked; the exchanged token can be DPoP-bound', async () => {
  const opaqueApi = await createChainApi(server, 'opaque', 'opaque');
  await server.gatehouse.services.apis.update(opaqueApi, {
    tokenExchange: [{ clients: [chain.bService.clientId], audiences: [chain.c], scopes: ['orders:read'], maxChainDepth: 1 }],
  });
  const app = await createWebClient(server, { resources: [opaqueApi], scopes: ['openid', 'orders:read'] });
  const opaque = await chain.userToken(opaqueApi, 'orders:read', app);
  assert.equal(opaque.split('.').length, 1, 'an opaque token');
  const key = await dpopKey();
  const bound = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${chain.bService.clientId}:${chain.bService.clientSecret}`).toString('base64')}`,
      dpop: await key.proof({ htm: 'POST', htu: `${server.url}/token` }),
    },
    body: new URLSearchParams({ grant_type: TOKEN_EXCHANGE_GRANT, subject_token_type: SUBJECT_TOKEN_TYPE, subject_token: opaque, resource: chain.c }),
  });
  const issued = (await bound.json()) as Record<string, string>;
  assert.equal(bound.status, 200, JSON.stringify(issued));
  assert.equal(issued.token_type, 'DPoP');
  const claims = decodeJwt(issued.access_token!);
  assert.deepEqual(claims.act, { sub: app.clientId });
  assert.ok((claims.cnf as { jkt?: string }).jkt);

  const revoked = await fetch(`${server.url}/token/revocation`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ token: opaque }),
  });
  assert.equal(revoked.status, 200);
  const after = await chain.exchange(chain.bService, { subject_token: opaque, resource: chain.c });
  assert.deepEqual([after.status, after.body.error], [400, 'invalid_request'], 'a revoked subject token cannot be exchanged');
});

test('the policy is validated by the admin API: unknown targets, bad modes and depths are 400 problems; discovery lists the grant', async () => {
  const bad = await chain.admin.call('PATCH', `/apis/${encodeURIComponent(chain.b)}`, {
    token: chain.writer,
    body: { tokenExchange: [{ clients: ['x'], audiences: ['https://nowhere.example.test'], scopes: ['orders:read'], maxChainDepth: 9 }] },
  });
  assert.equal(bad.status, 400);
  const problems = JSON.stringify(bad.body);
  assert.match(problems, /maxChainDepth/);
  const unknownTarget = await chain.admin.call('PATCH', `/apis/${encodeURIComponent(chain.b)}`, {
    token: chain.writer,
    body: { tokenExchange: [{ clients: ['x'], audiences: ['https://nowhere.example.test'], scopes: ['orders:read'] }] },
  });
  assert.equal(unknownTarget.status, 400);
  assert.match(JSON.stringify(unknownTarget.body), /nowhere\.example\.test is not a registered API/);
  const read = await chain.admin.call('GET', `/apis/${encodeURIComponent(chain.c)}`, { token: chain.writer });
  assert.deepEqual((read.body as { tokenExchange: unknown[] }).tokenExchange, [
    { clients: [chain.cService.clientId], audiences: [chain.d], scopes: ['orders:read'], mode: 'delegation', maxChainDepth: 2 },
  ]);
  const metadata = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as { grant_types_supported: string[] };
  assert.ok(metadata.grant_types_supported.includes(TOKEN_EXCHANGE_GRANT));
});

// Last: revokes the user's grants to the app.
test('once the user revokes the app, its JWT cannot be exchanged and the token exchanged from it answers active:false', async () => {
  await chain.setPolicy(chain.b, [{ clients: [chain.bService.clientId], audiences: [chain.c], scopes: ['orders:read'], maxChainDepth: 2 }]);
  const fresh = await chain.userToken();
  const exchanged = await chain.exchange(chain.bService, { subject_token: fresh, resource: chain.c });
  assert.equal(exchanged.status, 200, JSON.stringify(exchanged.body));
  const { clientId, clientSecret } = await server.gatehouse.services.apis.issueCredentials(chain.c, { method: 'client_secret_basic' });
  const introspect = async (token: string) => {
    const response = await fetch(`${server.url}/token/introspection`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ token }),
    });
    return (await response.json()) as { active: boolean; act?: unknown };
  };
  const before = await introspect(String(exchanged.body.access_token));
  assert.equal(before.active, true);
  assert.deepEqual(before.act, { sub: chain.app.clientId });

  const app = (await server.gatehouse.services.sessions.listApps(chain.user.id)).find((candidate) => candidate.clientId === chain.app.clientId);
  assert.ok(app);
  await server.gatehouse.services.sessions.revokeApp(chain.user.id, app.grantId);
  const refused = await chain.exchange(chain.bService, { subject_token: fresh, resource: chain.c });
  assert.deepEqual([refused.status, refused.body.error], [400, 'invalid_request'], 'a revoked JWT subject token');
  assert.deepEqual(await introspect(String(exchanged.body.access_token)), { active: false }, 'the exchanged token died with the grant');
});
