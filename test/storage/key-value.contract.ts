import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KeyValueStore } from '../../src/storage/key-value.ts';

/** The contract every ephemeral store implementation must meet (Hydra's contract-suite idea). */
export function keyValueContract(name: string, open: () => Promise<KeyValueStore>, waitForExpiry: (seconds: number) => Promise<void>) {
  test(`${name}: set/get/getMany/delete round-trip`, async () => {
    const kv = await open();
    try {
      await kv.set('a', '1', 60);
      await kv.set('b', '2', 60);
      assert.equal(await kv.get('a'), '1');
      assert.deepEqual(await kv.getMany(['a', 'missing', 'b']), ['1', undefined, '2']);
      await kv.delete(['a', 'b']);
      assert.deepEqual(await kv.getMany(['a', 'b']), [undefined, undefined]);
    } finally {
      await kv.close();
    }
  });

  test(`${name}: setIfAbsent lets exactly one of many concurrent callers win`, async () => {
    const kv = await open();
    try {
      const results = await Promise.all(Array.from({ length: 25 }, (_, i) => kv.setIfAbsent('once', String(i), 60)));
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal(await kv.setIfAbsent('once', 'late', 60), false);
    } finally {
      await kv.close();
    }
  });

  test(`${name}: values expire after their TTL`, async () => {
    const kv = await open();
    try {
      await kv.set('short', 'x', 1);
      await kv.addToSet('short-set', 'm', 1);
      await waitForExpiry(1);
      assert.equal(await kv.get('short'), undefined);
      assert.deepEqual(await kv.takeSet('short-set'), []);
    } finally {
      await kv.close();
    }
  });

  test(`${name}: takeSet returns the members once and empties the set`, async () => {
    const kv = await open();
    try {
      await kv.addToSet('s', 'x', 60);
      await kv.addToSet('s', 'y', 60);
      await kv.addToSet('s', 'x', 60);
      await kv.addToSet('s', 'z', 60);
      await kv.removeFromSet('s', 'z');
      assert.deepEqual((await kv.members('s')).sort(), ['x', 'y'], 'members reads without consuming');
      assert.deepEqual((await kv.takeSet('s')).sort(), ['x', 'y']);
      assert.deepEqual(await kv.takeSet('s'), []);
    } finally {
      await kv.close();
    }
  });

  test(`${name}: write lands a payload and its indexes together`, async () => {
    const kv = await open();
    try {
      await kv.write([
        { set: 'payload:1', value: '{"a":1}', ttlSeconds: 60 },
        { addToSet: 'index:g', member: 'payload:1', ttlSeconds: 60 },
        { set: 'uid:u1', value: '1', ttlSeconds: 60 },
      ]);
      assert.deepEqual(await kv.getMany(['payload:1', 'uid:u1']), ['{"a":1}', '1']);
      assert.deepEqual(await kv.members('index:g'), ['payload:1']);
      await kv.write([{ addToSet: 'index:g', member: 'payload:2', ttlSeconds: 60 }]);
      assert.deepEqual((await kv.members('index:g')).sort(), ['payload:1', 'payload:2']);
    } finally {
      await kv.close();
    }
  });

  test(`${name}: readThrough follows an index to its targets, absent ones as undefined`, async () => {
    const kv = await open();
    try {
      assert.equal(await kv.readThrough('uid:none', [{ prefix: 'payload:', suffix: '' }]), undefined);
      await kv.set('uid:u1', 'id-1', 60);
      await kv.set('payload:id-1', 'the payload', 60);
      await kv.set('payload:id-1:marker', 'marked', 60);
      const targets = [
        { prefix: 'payload:', suffix: '' },
        { prefix: 'payload:', suffix: ':missing' },
        { prefix: 'payload:', suffix: ':marker' },
      ];
      assert.deepEqual(await kv.readThrough('uid:u1', targets), { id: 'id-1', values: ['the payload', undefined, 'marked'] });
      await kv.delete(['payload:id-1']);
      assert.deepEqual(await kv.readThrough('uid:u1', targets), { id: 'id-1', values: [undefined, undefined, 'marked'] });
    } finally {
      await kv.close();
    }
  });

  test(`${name}: setIfAbsentOutliving creates once and expires a margin after its anchor, not a day later`, async () => {
    const kv = await open();
    try {
      await kv.set('anchor', 'payload', 1);
      assert.equal(await kv.setIfAbsentOutliving('marker', 'first', { key: 'anchor', marginSeconds: 5 }, 3600), true);
      assert.equal(await kv.setIfAbsentOutliving('marker', 'second', { key: 'anchor', marginSeconds: 5 }, 3600), false);
      assert.equal(await kv.setIfAbsentOutliving('orphan', 'o', { key: 'no-such-anchor', marginSeconds: 5 }, 3600), true);
      await waitForExpiry(1);
      assert.equal(await kv.get('anchor'), undefined);
      assert.equal(await kv.get('marker'), 'first', 'the marker outlives its anchor');
      await waitForExpiry(5);
      assert.equal(await kv.get('marker'), undefined, 'then it goes with the margin');
      assert.equal(await kv.get('orphan'), 'o', 'without an anchor it keeps the fallback lifetime');
    } finally {
      await kv.close();
    }
  });
}
