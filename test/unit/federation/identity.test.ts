/** Every row of federation's pure rules (src/federation/identity.ts): linking, claims, roles, MFA. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_CLAIM_MAPPING, decideLink, emailDomainAllowed, federatedAmr, mapClaims, mayUnlink, planRoles } from '../../../src/federation/identity.ts';

const facts = { linked: false, email: 'x@acme.com', emailVerified: true, domains: ['acme.com'], trustedForDomains: true, accountExists: false, jit: true };

test('link row 1: an identity already linked signs in, whatever its email says now', () => {
  assert.deepEqual(decideLink({ ...facts, linked: true, email: undefined, emailVerified: false }), { kind: 'linked' });
});

test('link row 2: no email, nothing to find or create', () => {
  assert.deepEqual(decideLink({ ...facts, email: undefined }), { kind: 'refused', reason: 'no_email' });
});

test('link row 3: a domain outside the allow-list is refused, even for an existing account', () => {
  assert.deepEqual(decideLink({ ...facts, email: 'x@evil.com', accountExists: true }), { kind: 'refused', reason: 'domain_not_allowed' });
});

test('link row 4: a verified address in a domain the provider is trusted for links silently', () => {
  assert.deepEqual(decideLink({ ...facts, accountExists: true }), { kind: 'link_silently' });
});

test('link row 5: otherwise an existing account must be proven first — never linked on an unverified email', () => {
  assert.deepEqual(decideLink({ ...facts, accountExists: true, emailVerified: false }), { kind: 'prove_existing' });
  assert.deepEqual(decideLink({ ...facts, accountExists: true, trustedForDomains: false }), { kind: 'prove_existing' });
  assert.deepEqual(decideLink({ ...facts, accountExists: true, domains: [] }), { kind: 'prove_existing' }, 'trusted for no domain is trusted for none');
});

test('link rows 6–7: no account yet: created just in time, or refused when JIT is off', () => {
  assert.deepEqual(decideLink(facts), { kind: 'create' });
  assert.deepEqual(decideLink({ ...facts, jit: false }), { kind: 'refused', reason: 'no_account' });
});

test('the last way in cannot be unlinked', () => {
  assert.equal(mayUnlink({ otherLinks: 0, hasPassword: false }), false);
  assert.equal(mayUnlink({ otherLinks: 1, hasPassword: false }), true);
  assert.equal(mayUnlink({ otherLinks: 0, hasPassword: true }), true);
});

test('claims are mapped; email_verified counts only when literally true', () => {
  const mapped = mapClaims('acme', { sub: 'u1', mail: 'X@Acme.com', verified: 'yes', display: 'X', teams: ['a', 7, 'b'] }, { email: 'mail', emailVerified: 'verified', name: 'display', groups: 'teams' });
  assert.deepEqual(mapped, { provider: 'acme', subject: 'u1', email: 'x@acme.com', emailVerified: false, name: 'X', groups: ['a', 'b'], amr: [], acr: undefined });
  assert.equal(mapClaims('acme', { sub: 'u1', email_verified: true }, DEFAULT_CLAIM_MAPPING)?.emailVerified, true);
  assert.equal(mapClaims('acme', { email: 'x@acme.com' }, DEFAULT_CLAIM_MAPPING), undefined, 'no subject, no identity');
  assert.equal(emailDomainAllowed('x@sub.acme.com', ['acme.com']), false, 'subdomains are not the domain');
});

test('group → role mapping governs exactly the roles it names', () => {
  const mapping = { 'platform-admins': ['admin'], devs: ['developer', 'reader'] };
  assert.deepEqual(planRoles(['devs'], mapping, ['admin', 'billing']), { grant: ['developer', 'reader'], revoke: ['admin'] });
  assert.deepEqual(planRoles([], mapping, ['billing']), { grant: [], revoke: [] }, 'roles outside the mapping are never touched');
});

test('amr: fed, plus the upstream factors only when its MFA is trusted and was used', () => {
  assert.deepEqual(federatedAmr({ amr: ['pwd', 'otp'] }, false), ['fed']);
  assert.deepEqual(federatedAmr({ amr: ['pwd', 'otp'] }, true), ['fed', 'pwd', 'otp']);
  assert.deepEqual(federatedAmr({ amr: ['pwd'] }, true), ['fed'], 'a password alone is not MFA');
});
