/** What an attacker with a copy of the stores would hold. */
import { Redis } from 'ioredis';
import { storageEnv, storageMode } from './mode.ts';
import type { TestServer } from './server.ts';

/** Every key and value under this server's Redis prefix (services mode), as text. */
export async function redisDump(server: TestServer): Promise<string> {
  if (storageMode() !== 'services') return '';
  const redis = new Redis((await storageEnv()).REDIS_URL!);
  const prefix = server.gatehouse.config.redisPrefix;
  const parts: string[] = [];
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      for (const key of keys) {
        const type = await redis.type(key);
        const value = type === 'string' ? await redis.get(key) : type === 'set' ? (await redis.smembers(key)).join(' ') : type === 'hash' ? JSON.stringify(await redis.hgetall(key)) : '';
        parts.push(`${key} ${value}`);
      }
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return parts.join('\n');
}
