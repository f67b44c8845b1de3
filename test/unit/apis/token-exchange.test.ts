import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chainDepth, decideTokenExchange, type ExchangeRequest, tokenExchangeRuleSchema } from '../../../src/apis/index.ts';

const rule = tokenExchangeRuleSchema.parse({ clients: ['b-service'], audiences: ['https://c'], scopes: ['read', 'write'], maxChainDepth: 2 });
const request = (overrides: Partial<ExchangeRequest> = {}): ExchangeRequest => ({
  rules: [rule],
  sourceApi: 'https://b',
  clientId: 'b-service',
  target: 'https://c',
  requestedScopes: undefined,
  targetScopes: ['read', 'write', 'admin'],
  subject: { clientId: 'app-a', scopes: ['read'] },
  ...overrides,
});

test('defaults: delegation, one service in a chain', () => {
  const parsed = tokenExchangeRuleSchema.parse({ clients: ['x'], audiences: ['https://c'], scopes: ['read'] });
  assert.deepEqual([parsed.mode, parsed.maxChainDepth], ['delegation', 1]);
});

test('delegation: act names the subject token’s client, nesting its chain; scopes = subject ∩ rule ∩ target', () => {
  assert.deepEqual(decideTokenExchange(request()), { ok: true, scopes: ['read'], mode: 'delegation', depth: 1, act: { sub: 'app-a' } });
  const second = decideTokenExchange(request({ subject: { clientId: 'b-service', scopes: ['read', 'write'], act: { sub: 'app-a' } } }));
  assert.deepEqual(second, { ok: true, scopes: ['read', 'write'], mode: 'delegation', depth: 2, act: { sub: 'b-service', act: { sub: 'app-a' } } });
});

test('refusals: client, target, depth, scopes beyond the subject or the policy, nothing left', () => {
  const error = (r: ExchangeRequest) => {
    const decision = decideTokenExchange(r);
    return decision.ok ? 'ok' : decision.error;
  };
  assert.equal(error(request({ clientId: 'other' })), 'invalid_request');
  assert.equal(error(request({ target: 'https://d' })), 'invalid_target');
  assert.equal(error(request({ subject: { clientId: 'c', scopes: ['read'], act: { sub: 'b', act: { sub: 'a' } } } })), 'invalid_request');
  assert.equal(error(request({ requestedScopes: ['write'] })), 'invalid_scope', 'the subject token has no write');
  assert.equal(error(request({ requestedScopes: ['admin'], subject: { clientId: 'a', scopes: ['admin'] } })), 'invalid_scope', 'the rule has no admin');
  assert.equal(error(request({ subject: { clientId: 'a', scopes: ['admin'] } })), 'invalid_scope');
  assert.equal(error(request({ rules: [] })), 'invalid_request');
});

test('chainDepth counts nested act claims and stops at a bound', () => {
  assert.equal(chainDepth(undefined), 0);
  assert.equal(chainDepth({ sub: 'a' }), 1);
  assert.equal(chainDepth({ sub: 'b', act: { sub: 'a' } }), 2);
  let deep: Record<string, unknown> = { sub: 'x' };
  for (let i = 0; i < 100; i += 1) deep = { sub: 'x', act: deep };
  assert.ok(chainDepth(deep) <= 6);
});
