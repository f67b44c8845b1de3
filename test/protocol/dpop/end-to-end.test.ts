/**
 * DPoP (RFC 9449) end to end over HTTP with real DPoP-capable clients — oauth4webapi for a
 * service, openid-client for a browser app — against the example resource server built on
 * `gatehouse/verify`; and PAR (RFC 9126), which Gatehouse keeps on.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import * as oidc from 'openid-client';
import { createResourceServer } from '../../../examples/resource-server/server.ts';
import { Browser } from '../../harness/browser.ts';
import { createApi, createUser, createWebClient, REDIRECT_URI, signInThroughPages } from '../../harness/fixtures.ts';
import { startServer, type TestServer } from '../../harness/server.ts';
import { dpopKey } from './proofs.ts';

const insecure = { [oauth.allowInsecureRequests]: true } as const;
let server: TestServer;
let as: oauth.AuthorizationServer;
let api: Server;
let apiUrl: string;
let audience: string;
before(async () => {
  server = await startServer();
  audience = await createApi(server, ['invoices:read']);
  as = await oauth.processDiscoveryResponse(new URL(server.url), await oauth.discoveryRequest(new URL(server.url), insecure));
  api = createServer();
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  api.on('request', createResourceServer({ issuer: server.url, audience, publicUrl: apiUrl }).callback());
});
after(async () => {
  api.close();
  await server.close();
});

async function machineClient(dpopBoundAccessTokens = false) {
  const { client, clientSecret } = await server.gatehouse.services.clients.create({
    name: 'dpop service',
    type: 'confidential',
    grantTypes: ['client_credentials'],
    resources: [audience],
    scopes: ['invoices:read'],
    dpopBoundAccessTokens,
  });
  return { client: { client_id: client.clientId } as oauth.Client, auth: oauth.ClientSecretBasic(clientSecret!), secret: clientSecret! };
}

async function serviceToken(service: Awaited<ReturnType<typeof machineClient>>, DPoP?: oauth.DPoPHandle) {
  const response = await oauth.clientCredentialsGrantRequest(as, service.client, service.auth, { scope: 'invoices:read' }, { ...insecure, ...(DPoP ? { DPoP } : {}) });
  return oauth.processClientCredentialsResponse(as, service.client, response);
}

test('discovery advertises DPoP algorithms and the PAR endpoint', () => {
  assert.ok(as.dpop_signing_alg_values_supported?.includes('ES256'));
  assert.equal(as.pushed_authorization_request_endpoint, `${server.url}/request`);
  assert.equal(as.require_pushed_authorization_requests, undefined, 'PAR is offered, not required');
});

test('oauth4webapi with DPoP: a bound token (token_type DPoP, cnf.jkt) that the example API accepts only with its proof', async () => {
  const service = await machineClient();
  const keyPair = await oauth.generateKeyPair('ES256');
  const DPoP = oauth.DPoP(service.client, keyPair);
  const tokens = await serviceToken(service, DPoP);
  assert.equal(tokens.token_type, 'dpop');
  assert.equal((decodeJwt(tokens.access_token).cnf as { jkt: string }).jkt, await DPoP.calculateThumbprint());

  const withProof = await oauth.protectedResourceRequest(tokens.access_token, 'GET', new URL(`${apiUrl}/invoices`), undefined, undefined, { DPoP, ...insecure });
  assert.equal(withProof.status, 200);
  assert.equal(((await withProof.json()) as { scheme: string }).scheme, 'DPoP');

  // The attack the kit used to let through: the bound token replayed as a plain bearer token.
  const asBearer = await fetch(`${apiUrl}/invoices`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  assert.equal(asBearer.status, 401);
  assert.match(asBearer.headers.get('www-authenticate') ?? '', /^DPoP error="invalid_token"/);
  const stolen = await fetch(`${apiUrl}/invoices`, { headers: { authorization: `DPoP ${tokens.access_token}` } });
  assert.equal(stolen.status, 401, 'the token without a proof of its key');
  assert.match(stolen.headers.get('www-authenticate') ?? '', /invalid_dpop_proof/);
});

test('a proof is single-use at the token endpoint too (Gatehouse refuses a replayed DPoP proof)', async () => {
  const service = await machineClient();
  const key = await dpopKey();
  const proof = await key.proof({ htm: 'POST', htu: `${server.url}/token` });
  const request = async () => {
    const response = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${service.client.client_id}:${service.secret}`).toString('base64')}`,
        dpop: proof,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'invoices:read' }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, string> };
  };
  assert.equal((await request()).status, 200);
  const replay = await request();
  assert.equal(replay.status, 400);
  assert.equal(replay.body.error, 'invalid_grant');
  const logged = server.logs.filter((line) => line.event === 'oauth.error' && line.clientId === service.client.client_id);
  assert.match(String(logged.at(-1)?.reason), /replay/i, 'the log says why');
});

test('a client registered with dpop_bound_access_tokens gets no token without a proof, and a bound one with it', async () => {
  const service = await machineClient(true);
  await assert.rejects(serviceToken(service), (error: oauth.ResponseBodyError) => error.error === 'invalid_grant');
  const logged = server.logs.filter((line) => line.event === 'oauth.error' && line.clientId === service.client.client_id);
  assert.equal(logged.at(-1)?.reason, 'DPoP proof JWT not provided');
  const DPoP = oauth.DPoP(service.client, await oauth.generateKeyPair('EdDSA'));
  const tokens = await serviceToken(service, DPoP);
  assert.equal(tokens.token_type, 'dpop');
  const admin = await server.gatehouse.services.clients.find(service.client.client_id);
  assert.equal(admin?.dpopBoundAccessTokens, true);
});

test('openid-client, browser app with DPoP: code flow, bound access and refresh tokens, userinfo with the proof', async () => {
  const { clientId } = await createWebClient(server, { type: 'public' });
  const user = await createUser(server);
  const config = await oidc.discovery(new URL(server.url), clientId, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  const DPoP = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid offline_access',
    prompt: 'consent',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const { callback } = await signInThroughPages(server, url, user);
  const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier }, undefined, { DPoP });
  assert.equal(tokens.token_type, 'dpop');
  const info = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub, { DPoP });
  assert.equal(info.sub, tokens.claims()!.sub);
  const bearerUserinfo = await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  assert.equal(bearerUserinfo.status, 401, 'Gatehouse itself refuses a bound token as bearer');

  // A public client's refresh token is bound to its key: useless to a thief without it.
  const thief = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
  await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP: thief }), (error: { cause?: { error?: string } }) => error.cause?.error === 'invalid_grant');
  const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP });
  assert.equal(refreshed.token_type, 'dpop');
  assert.equal((await oidc.fetchUserInfo(config, refreshed.access_token, tokens.claims()!.sub, { DPoP })).sub, tokens.claims()!.sub);
});

test('PAR: openid-client pushes the request, the browser carries only request_uri, and a request_uri works once', async () => {
  const { clientId, clientSecret } = await createWebClient(server);
  const user = await createUser(server);
  const config = await oidc.discovery(new URL(server.url), clientId, clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
  const verifier = oidc.randomPKCECodeVerifier();
  const url = await oidc.buildAuthorizationUrlWithPAR(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid email',
    prompt: 'consent',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request_uri']);
  const { callback } = await signInThroughPages(server, url, user);
  const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier });
  assert.ok(tokens.id_token);
  const again = await new Browser().follow(url, server.url);
  assert.equal(again.leftTo, undefined, 'a used request_uri does not start another sign-in');
  assert.equal(again.response?.status, 400);
});
