/**
 * The signing-key lifecycle as tables: each row is a key set at a moment, and what every
 * instance must derive from it (state, the next rotation, what a revocation does).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type KeyTimes, keyState, planRevocation, planRotation, publishedKeys, signingKey } from '../../../src/keys/lifecycle.ts';

const T0 = Date.UTC(2026, 0, 1);
/** Seconds after T0 as a Date. */
const at = (seconds: number) => new Date(T0 + seconds * 1000);
/** A policy in round numbers: a key signs for 100 s, is published 10 s ahead, stays 50 s after. */
const policy = { rotationIntervalSeconds: 100, publishLeadSeconds: 10, retireAfterSeconds: 50 };

function key(kid: string, times: { publish?: number; activate: number; deactivate?: number; retire?: number; revoked?: number; alg?: string }): KeyTimes {
  return {
    kid,
    alg: times.alg ?? 'RS256',
    publish_at: at(times.publish ?? times.activate),
    activate_at: at(times.activate),
    deactivate_at: times.deactivate === undefined ? null : at(times.deactivate),
    retire_at: times.retire === undefined ? null : at(times.retire),
    revoked_at: times.revoked === undefined ? null : at(times.revoked),
  };
}

test('keyState: one key through its whole life, edges included', () => {
  const rows = [key('k', { publish: 10, activate: 20, deactivate: 120, retire: 170 })];
  const table: Array<[seconds: number, state: string]> = [
    [0, 'pending'],
    [9, 'pending'],
    [10, 'published'], // publish_at is inclusive
    [19, 'published'],
    [20, 'active'], // activate_at is inclusive
    [119, 'active'],
    [120, 'retiring'], // deactivate_at: stops signing, still verifies
    [169, 'retiring'],
    [170, 'retired'], // retire_at: leaves the JWKS
    [10_000, 'retired'],
  ];
  for (const [seconds, state] of table) assert.equal(keyState(rows[0]!, rows, at(seconds)), state, `at +${seconds} s`);
});

test('keyState: a revoked key never signs again; it leaves the JWKS from the moment of revocation', () => {
  const revoked = key('k', { activate: 0, revoked: 50 });
  const table: Array<[seconds: number, state: string]> = [
    // An instance whose clock lags the revoking one sees revoked_at ahead: the key already stops
    // signing there, and verifies only until that instance's clock reaches revoked_at.
    [49, 'retiring'],
    [50, 'revoked'],
    [51, 'revoked'],
  ];
  for (const [seconds, state] of table) assert.equal(keyState(revoked, [revoked], at(seconds)), state, `at +${seconds} s`);
  const retiredThenRevoked = key('r', { activate: 0, deactivate: 10, retire: 20, revoked: 30 });
  assert.equal(keyState(retiredThenRevoked, [retiredThenRevoked], at(40)), 'revoked', 'revoked is reported over retired');
});

test('keyState and signingKey: of two activated keys of one algorithm the newer signs; algorithms are independent', () => {
  const older = key('older', { activate: 0 });
  const newer = key('newer', { publish: 40, activate: 50 });
  const ec = key('ec', { activate: 0, alg: 'ES256' });
  const rows = [older, newer, ec];
  const table: Array<[kid: KeyTimes, seconds: number, state: string]> = [
    [older, 49, 'active'],
    [newer, 49, 'published'],
    [older, 50, 'retiring'], // activated, never deactivated, but no longer the signer
    [newer, 50, 'active'],
    [ec, 50, 'active'], // another algorithm's newer key does not retire it
  ];
  for (const [row, seconds, state] of table) assert.equal(keyState(row, rows, at(seconds)), state, `${row.kid} at +${seconds} s`);
  assert.equal(signingKey(rows, 'RS256', at(50))?.kid, 'newer');
  assert.equal(signingKey(rows, 'ES256', at(50))?.kid, 'ec');
  assert.equal(signingKey(rows, 'EdDSA', at(50)), undefined);
  assert.equal(signingKey([key('gone', { activate: 0, revoked: 1 })], 'RS256', at(5)), undefined, 'a revoked key never signs');
});

test('publishedKeys: published, active and retiring keys are in the JWKS; pending, retired and revoked are not', () => {
  const rows = [
    key('pending', { publish: 100, activate: 110 }),
    key('published', { publish: 40, activate: 60 }),
    key('active', { activate: 0 }),
    key('retiring', { activate: -100, deactivate: 0, retire: 100 }),
    key('retired', { activate: -200, deactivate: -100, retire: 0 }),
    key('revoked', { activate: -10, revoked: 10 }),
  ];
  assert.deepEqual(
    publishedKeys(rows, at(50)).map((row) => row.kid),
    ['published', 'active', 'retiring'],
  );
});

test('planRotation: when a successor is due and when it signs', () => {
  const active = key('a', { activate: 0 }); // its turn ends at +100
  const cases: Array<{ name: string; rows: KeyTimes[]; now: number; force?: boolean; plan: ReturnType<typeof planRotation> }> = [
    { name: 'no key at all: one signs now', rows: [], now: 5, plan: { alg: 'RS256', publishAt: at(5), activateAt: at(5) } },
    {
      name: 'only a revoked key: a fresh one signs now',
      rows: [key('x', { activate: 0, revoked: 1 })],
      now: 5,
      plan: { alg: 'RS256', publishAt: at(5), activateAt: at(5) },
    },
    { name: 'young key: nothing to do', rows: [active], now: 89, plan: undefined },
    {
      name: 'the turn ends within the publish lead: published now, signs when the turn ends',
      rows: [active],
      now: 90,
      plan: { alg: 'RS256', publishAt: at(90), activateAt: at(100), supersede: { kid: 'a', deactivateAt: at(100), retireAt: at(150) } },
    },
    {
      name: 'overdue (no instance ran for a while): signs after a full publish lead, never sooner',
      rows: [active],
      now: 200,
      plan: { alg: 'RS256', publishAt: at(200), activateAt: at(210), supersede: { kid: 'a', deactivateAt: at(210), retireAt: at(260) } },
    },
    {
      name: 'forced (operator) on a young key: signs after the publish lead',
      rows: [active],
      now: 30,
      force: true,
      plan: { alg: 'RS256', publishAt: at(30), activateAt: at(40), supersede: { kid: 'a', deactivateAt: at(40), retireAt: at(90) } },
    },
    { name: 'a successor is already scheduled: nothing, even forced', rows: [active, key('b', { publish: 90, activate: 100 })], now: 95, force: true, plan: undefined },
    {
      name: 'a revoked scheduled successor does not count',
      rows: [active, key('b', { publish: 90, activate: 100, revoked: 92 })],
      now: 95,
      plan: { alg: 'RS256', publishAt: at(95), activateAt: at(105), supersede: { kid: 'a', deactivateAt: at(105), retireAt: at(155) } },
    },
    {
      name: "another algorithm's key does not count",
      rows: [key('ec', { activate: 0, alg: 'ES256' })],
      now: 5,
      plan: { alg: 'RS256', publishAt: at(5), activateAt: at(5) },
    },
  ];
  for (const { name, rows, now, force, plan } of cases) assert.deepEqual(planRotation(rows, 'RS256', at(now), policy, force), plan, name);
});

test('planRotation, applied turn after turn, keeps exactly one signer and never a gap', () => {
  let rows: KeyTimes[] = [];
  for (let now = 0; now <= 1000; now += 7) {
    const plan = planRotation(rows, 'RS256', at(now), policy);
    if (plan) {
      if (plan.supersede) {
        const { kid, deactivateAt, retireAt } = plan.supersede;
        rows = rows.map((row) => (row.kid === kid ? { ...row, deactivate_at: deactivateAt, retire_at: retireAt } : row));
      }
      rows.push({ kid: `k${rows.length}`, alg: 'RS256', publish_at: plan.publishAt, activate_at: plan.activateAt, deactivate_at: null, retire_at: null, revoked_at: null });
    }
    for (let probe = now; probe < now + 7; probe += 1) {
      const signers = rows.filter((row) => keyState(row, rows, at(probe)) === 'active');
      assert.equal(signers.length, 1, `exactly one key signs at +${probe} s`);
      assert.ok(publishedKeys(rows, at(probe)).length >= 1);
    }
  }
  assert.ok(rows.length >= 10, `about one key per 100 s turn (${rows.length})`);
  for (let i = 1; i < rows.length; i += 1) {
    const lead = (rows[i]!.activate_at.getTime() - rows[i]!.publish_at.getTime()) / 1000;
    assert.ok(lead >= policy.publishLeadSeconds, `key ${i} was published ${lead} s before it signed`);
  }
});

test('planRevocation: the compromised key goes now, the next key signs now, and the window to revoke grants from', () => {
  const active = key('a', { activate: 0 });
  const successor = key('b', { publish: 90, activate: 100 });
  const retiring = key('r', { activate: -100, deactivate: 0, retire: 50 });
  const cases: Array<{ name: string; rows: KeyTimes[]; kid: string; now: number; plan: ReturnType<typeof planRevocation> }> = [
    {
      name: 'the signer, with a published successor: the successor signs at once',
      rows: [active, successor],
      kid: 'a',
      now: 95,
      plan: { revokedKid: 'a', activateKid: 'b', signedFrom: at(0), signedUntil: at(95) },
    },
    {
      name: 'the signer, no successor: a fresh key is generated',
      rows: [active],
      kid: 'a',
      now: 30,
      plan: { revokedKid: 'a', generateAlg: 'RS256', signedFrom: at(0), signedUntil: at(30) },
    },
    {
      name: 'a retiring key: it signed until it was deactivated; nothing else changes',
      rows: [active, retiring],
      kid: 'r',
      now: 30,
      plan: { revokedKid: 'r', signedFrom: at(-100), signedUntil: at(0) },
    },
    { name: 'an unknown kid', rows: [active], kid: 'nope', now: 30, plan: undefined },
    { name: 'an already revoked key', rows: [key('x', { activate: 0, revoked: 10 })], kid: 'x', now: 30, plan: undefined },
  ];
  for (const { name, rows, kid, now, plan } of cases) assert.deepEqual(planRevocation(rows, kid, at(now)), plan, name);
});
