import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accessTokenClaims, rolesFor } from '../../../src/rbac/index.ts';

const facts = {
  roles: [
    { name: 'employee', api: null },
    { name: 'orders:admin', api: 'https://orders.example' },
    { name: 'billing:viewer', api: 'https://billing.example' },
    { name: 'employee', api: null },
  ],
  groups: ['staff'],
  orgId: 'org-1',
};

test('an API sees global roles and its own, sorted, once each', () => {
  assert.deepEqual(rolesFor(facts, 'https://orders.example'), ['employee', 'orders:admin']);
  assert.deepEqual(rolesFor(facts, 'https://other.example'), ['employee']);
});

test('only the claims the API lists and the allow-list permits; PII never, even if an API row lists it', () => {
  const claims = (apiClaims: string[], allowList = ['roles', 'groups', 'org_id', 'email']) =>
    accessTokenClaims({ api: 'https://orders.example', apiClaims, allowList, facts });
  assert.deepEqual(claims(['roles', 'groups', 'org_id']), { roles: ['employee', 'orders:admin'], groups: ['staff'], org_id: 'org-1' });
  assert.deepEqual(claims(['roles', 'email', 'name', 'constructor']), { roles: ['employee', 'orders:admin'] });
  assert.deepEqual(claims(['roles', 'groups'], ['groups']), { groups: ['staff'] }, 'a narrowed allow-list wins over the API row');
  assert.deepEqual(accessTokenClaims({ api: 'x', apiClaims: ['org_id'], allowList: ['org_id'], facts: { ...facts, orgId: null } }), {});
});
