import { type Clock, systemClock } from '../clock.ts';
import type { KeyValueStore } from './key-value.ts';

interface Entry {
  value: string | Set<string>;
  expiresAt: number;
}

/** Embedded mode's ephemeral store: one process, so plain maps give the same atomicity as Redis. */
export function createMemoryKeyValueStore(clock: Clock = systemClock): KeyValueStore {
  const entries = new Map<string, Entry>();
  const now = () => clock.now().getTime();
  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };
  const sweep = setInterval(() => {
    for (const key of entries.keys()) live(key);
  }, 60_000);
  sweep.unref();

  return {
    async get(key) {
      const value = live(key)?.value;
      return typeof value === 'string' ? value : undefined;
    },
    async getMany(keys) {
      return keys.map((key) => {
        const value = live(key)?.value;
        return typeof value === 'string' ? value : undefined;
      });
    },
    async set(key, value, ttlSeconds) {
      entries.set(key, { value, expiresAt: now() + ttlSeconds * 1000 });
    },
    async setIfAbsent(key, value, ttlSeconds) {
      if (live(key)) return false;
      entries.set(key, { value, expiresAt: now() + ttlSeconds * 1000 });
      return true;
    },
    async delete(keys) {
      for (const key of keys) entries.delete(key);
    },
    async addToSet(key, member, ttlSeconds) {
      const expiresAt = now() + ttlSeconds * 1000;
      const entry = live(key);
      if (entry && entry.value instanceof Set) {
        entry.value.add(member);
        entry.expiresAt = Math.max(entry.expiresAt, expiresAt);
      } else {
        entries.set(key, { value: new Set([member]), expiresAt });
      }
    },
    async members(key) {
      const entry = live(key);
      return entry && entry.value instanceof Set ? [...entry.value] : [];
    },
    async removeFromSet(key, member) {
      const entry = live(key);
      if (entry && entry.value instanceof Set) entry.value.delete(member);
    },
    async takeSet(key) {
      const entry = live(key);
      entries.delete(key);
      return entry && entry.value instanceof Set ? [...entry.value] : [];
    },
    async ping() {},
    async close() {
      clearInterval(sweep);
      entries.clear();
    },
  };
}
