import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeConsent, planConsent, requestedConsent } from '../../../src/sign-in/consent.ts';

const invoices = { name: 'Invoices', scopes: [{ name: 'invoices:read', description: 'See your invoices', descriptions: { es: 'Ver tus facturas' } }] };

test('an API scope reads as the API name and its description in the page language', () => {
  const plan = planConsent({ missingOIDCScope: ['openid'], missingResourceScopes: { 'https://invoices.example': ['invoices:read'] } });
  const apis = { 'https://invoices.example': invoices };
  assert.deepEqual(describeConsent(plan, { apis, locale: 'es' }), [
    { key: 'scope.openid' },
    { key: 'scope.api_scope', vars: { api: 'Invoices', description: 'Ver tus facturas' } },
  ]);
  assert.deepEqual(describeConsent(plan, { apis, locale: 'zh' })[1], { key: 'scope.api_scope', vars: { api: 'Invoices', description: 'See your invoices' } });
});

test('with nothing missing (a native client asked again), the list is what the request asks for', () => {
  assert.deepEqual(describeConsent(planConsent({})), []);
  const again = requestedConsent({ scope: 'openid email invoices:read unknown', resource: 'https://invoices.example' }, { 'https://invoices.example': ['invoices:read'] });
  assert.deepEqual(again, { scopes: ['openid', 'email'], claims: [], resourceScopes: { 'https://invoices.example': ['invoices:read'] } });
});
