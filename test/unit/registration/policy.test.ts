import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RegistrationRefused } from '../../../src/errors.ts';
import { decideClient, hostAllowed, policySchema } from '../../../src/registration/policy.ts';

const policy = policySchema.parse({ scopes: ['openid', 'email'], redirectUriHosts: ['app.example.com', '*.example.org'] });

test('redirect hosts: exact names, or any subdomain of a *. pattern (not the bare domain, not look-alikes)', () => {
  assert.equal(hostAllowed('app.example.com', policy.redirectUriHosts), true);
  assert.equal(hostAllowed('APP.example.com', policy.redirectUriHosts), true);
  assert.equal(hostAllowed('a.b.example.org', policy.redirectUriHosts), true);
  assert.equal(hostAllowed('example.org', policy.redirectUriHosts), false);
  assert.equal(hostAllowed('evilexample.org', policy.redirectUriHosts), false);
  assert.equal(hostAllowed('app.example.com.evil.test', policy.redirectUriHosts), false);
});

test('a request inside the policy becomes a public, third-party client; omitted scopes get the policy’s', () => {
  const client = decideClient({ redirect_uris: ['https://app.example.com/cb'] }, policy);
  assert.deepEqual(
    { type: client.type, auth: client.tokenEndpointAuthMethod, grants: client.grantTypes, scopes: client.scopes, firstParty: client.firstParty },
    { type: 'public', auth: 'none', grants: ['authorization_code'], scopes: ['openid', 'email'], firstParty: false },
  );
});

test('anything outside the policy is refused with the RFC 7591 error code', () => {
  const refusal = (request: Parameters<typeof decideClient>[0]) => {
    try {
      decideClient(request, policy);
    } catch (error) {
      assert.ok(error instanceof RegistrationRefused);
      return error.error;
    }
    return 'accepted';
  };
  assert.equal(refusal({ redirect_uris: ['https://app.example.com/cb'], scope: 'openid phone' }), 'invalid_client_metadata');
  assert.equal(refusal({ redirect_uris: ['https://evil.test/cb'] }), 'invalid_client_metadata');
  assert.equal(refusal({ redirect_uris: ['https://app.example.com/cb'], token_endpoint_auth_method: 'client_secret_basic' }), 'invalid_client_metadata');
  assert.equal(refusal({ redirect_uris: ['https://app.example.com/cb'], grant_types: ['client_credentials'] }), 'invalid_client_metadata');
  assert.equal(refusal({ redirect_uris: ['https://app.example.com/cb'], response_types: ['token'] }), 'invalid_client_metadata');
  assert.equal(refusal({ redirect_uris: ['::not a url::'] }), 'invalid_redirect_uri');
});
