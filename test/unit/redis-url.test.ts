import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRedisUrl } from '../../src/storage/key-value-redis.ts';

test('a single-server URL is passed through to ioredis', () => {
  assert.deepEqual(parseRedisUrl('rediss://:pw@cache.internal:6380/2'), { url: 'rediss://:pw@cache.internal:6380/2' });
});

test('a Sentinel URL names every sentinel, the master and the password', () => {
  assert.deepEqual(parseRedisUrl('redis+sentinel://:s%40cret@10.0.0.1:26379,10.0.0.2:26380,10.0.0.3/gatehouse'), {
    name: 'gatehouse',
    password: 's@cret',
    sentinels: [
      { host: '10.0.0.1', port: 26379 },
      { host: '10.0.0.2', port: 26380 },
      { host: '10.0.0.3', port: 26379 },
    ],
  });
});

test('a Cluster URL is refused with the reason', () => {
  assert.throws(() => parseRedisUrl('redis+cluster://a:6379,b:6379'), /Cluster is not supported/);
});
