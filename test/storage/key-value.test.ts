import { randomBytes } from 'node:crypto';
import { createMemoryKeyValueStore } from '../../src/storage/key-value-memory.ts';
import { createRedisKeyValueStore } from '../../src/storage/key-value-redis.ts';
import { createTestClock } from '../harness/clock.ts';
import { storageMode } from '../harness/mode.ts';
import { keyValueContract } from './key-value.contract.ts';

if (storageMode() === 'embedded') {
  const clock = createTestClock();
  keyValueContract('in-process store', async () => createMemoryKeyValueStore(clock), async (seconds) => clock.advance(seconds + 0.01));
} else {
  keyValueContract(
    'Redis store',
    () =>
      createRedisKeyValueStore({
        url: process.env.GATEHOUSE_TEST_REDIS_URL!,
        prefix: `${process.env.GATEHOUSE_TEST_REDIS_PREFIX}kv-${randomBytes(4).toString('hex')}:`,
      }),
    (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000 + 150)),
  );
}
