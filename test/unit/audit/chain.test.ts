/**
 * The audit chain's hash as tables: what it covers (every field; a change anywhere shows), what
 * it ignores (key order inside details, the representation of the time), and how links break.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { type ChainedFields, chainHash } from '../../../src/audit/chain.ts';

const GENESIS = '0'.repeat(64);
const row: ChainedFields = {
  occurred_at: new Date('2026-11-29T10:00:00.000Z'),
  type: 'signin.failure',
  outcome: 'failure',
  actor: 'client:web',
  subject: 'user-1',
  ip: '192.0.2.1',
  user_agent: 'Mozilla/5.0',
  request_id: 'req-1',
  details: { reason: 'bad_password', attempt: { n: 3, window: '15m' } },
};

test('known answer: SHA-256 of the previous hash, a newline and the row as canonical JSON', () => {
  const body = JSON.stringify([
    '2026-11-29T10:00:00.000Z',
    'signin.failure',
    'failure',
    'client:web',
    'user-1',
    '192.0.2.1',
    'Mozilla/5.0',
    'req-1',
    { attempt: { n: 3, window: '15m' }, reason: 'bad_password' },
  ]);
  const expected = createHash('sha256').update(`${GENESIS}\n${body}`).digest('hex');
  assert.equal(chainHash(GENESIS, row), expected);
  assert.match(expected, /^[0-9a-f]{64}$/);
});

test('every field is covered: changing any one of them changes the hash', () => {
  const original = chainHash(GENESIS, row);
  const edits: Array<[field: string, edited: ChainedFields]> = [
    ['occurred_at (one millisecond)', { ...row, occurred_at: new Date(row.occurred_at.getTime() + 1) }],
    ['type', { ...row, type: 'signin.success' }],
    ['outcome', { ...row, outcome: 'success' }],
    ['actor', { ...row, actor: 'client:other' }],
    ['actor removed', { ...row, actor: null }],
    ['subject', { ...row, subject: 'user-2' }],
    ['ip', { ...row, ip: '192.0.2.2' }],
    ['user_agent', { ...row, user_agent: 'curl/8' }],
    ['request_id', { ...row, request_id: 'req-2' }],
    ['details: a value', { ...row, details: { ...row.details, reason: 'unknown_account' } }],
    ['details: a nested value', { ...row, details: { ...row.details, attempt: { n: 4, window: '15m' } } }],
    ['details: a key added', { ...row, details: { ...row.details, extra: true } }],
    ['details: emptied', { ...row, details: {} }],
  ];
  for (const [field, edited] of edits) assert.notEqual(chainHash(GENESIS, edited), original, field);
});

test('what the hash does not depend on: key order in details, and how the time is represented', () => {
  const original = chainHash(GENESIS, row);
  const same: Array<[what: string, variant: ChainedFields]> = [
    ['keys reordered', { ...row, details: { attempt: { window: '15m', n: 3 }, reason: 'bad_password' } }],
    ['time as an ISO string (as some drivers return it)', { ...row, occurred_at: '2026-11-29T10:00:00.000Z' as unknown as Date }],
    ['time as a string with an offset', { ...row, occurred_at: '2026-11-29T11:00:00+01:00' as unknown as Date }],
  ];
  for (const [what, variant] of same) assert.equal(chainHash(GENESIS, variant), original, what);
});

test('values that look alike stay apart: null and empty, array order, number and string', () => {
  const pairs: Array<[what: string, a: ChainedFields, b: ChainedFields]> = [
    ['null vs empty actor', { ...row, actor: null }, { ...row, actor: '' }],
    ['array order', { ...row, details: { roles: ['a', 'b'] } }, { ...row, details: { roles: ['b', 'a'] } }],
    ['number vs string', { ...row, details: { n: 1 } }, { ...row, details: { n: '1' } }],
    ['a field boundary moved', { ...row, actor: 'ab', subject: 'c' }, { ...row, actor: 'a', subject: 'bc' }],
  ];
  for (const [what, a, b] of pairs) assert.notEqual(chainHash(GENESIS, a), chainHash(GENESIS, b), what);
});

test('a chain: each link depends on everything before it, so removing or editing a row breaks the next link', () => {
  const rows = [0, 1, 2, 3].map((n) => ({ ...row, subject: `user-${n}` }));
  const hashes: string[] = [];
  let prev = GENESIS;
  for (const r of rows) {
    prev = chainHash(prev, r);
    hashes.push(prev);
  }
  assert.equal(new Set(hashes).size, 4, 'identical events at different positions hash differently');
  const table: Array<[what: string, rebuilt: () => string]> = [
    ['row 1 removed', () => chainHash(hashes[0]!, rows[2]!)],
    ['row 1 edited', () => chainHash(chainHash(hashes[0]!, { ...rows[1]!, outcome: 'success' }), rows[2]!)],
    ['rows 1 and 2 swapped', () => chainHash(chainHash(hashes[0]!, rows[2]!), rows[1]!)],
    ['chained from the genesis instead of the pruned prefix', () => chainHash(chainHash(GENESIS, rows[1]!), rows[2]!)],
  ];
  for (const [what, rebuilt] of table) assert.notEqual(rebuilt(), hashes[2], what);
  // A checkpoint holding hash 0 anchors the rest exactly as the pruned rows did.
  assert.equal(chainHash(chainHash(hashes[0]!, rows[1]!), rows[2]!), hashes[2]);
});
