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

  const set = (key: string, value: string, ttlSeconds: number) => {
    entries.set(key, { value, expiresAt: now() + ttlSeconds * 1000 });
  };
  const addToSet = (key: string, member: string, ttlSeconds: number) => {
    const expiresAt = now() + ttlSeconds * 1000;
    const entry = live(key);
    if (entry && entry.value instanceof Set) {
      entry.value.add(member);
      entry.expiresAt = Math.max(entry.expiresAt, expiresAt);
    } else {
      entries.set(key, { value: new Set([member]), expiresAt });
    }
  };
  const stringAt = (key: string) => {
    const value = live(key)?.value;
    return typeof value === 'string' ? value : undefined;
  };

  return {
    async get(key) {
      return stringAt(key);
    },
    async getMany(keys) {
      return keys.map(stringAt);
    },
    async set(key, value, ttlSeconds) {
      set(key, value, ttlSeconds);
    },
    async setIfAbsent(key, value, ttlSeconds) {
      if (live(key)) return false;
      entries.set(key, { value, expiresAt: now() + ttlSeconds * 1000 });
      return true;
    },
    async setIfAbsentOutliving(key, value, anchor, withoutAnchorSeconds) {
      if (live(key)) return false;
      const anchorEntry = live(anchor.key);
      const expiresAt = anchorEntry ? anchorEntry.expiresAt + anchor.marginSeconds * 1000 : now() + withoutAnchorSeconds * 1000;
      entries.set(key, { value, expiresAt });
      return true;
    },
    async delete(keys) {
      for (const key of keys) entries.delete(key);
    },
    async addToSet(key, member, ttlSeconds) {
      addToSet(key, member, ttlSeconds);
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
    async write(writes) {
      for (const write of writes) {
        if ('set' in write) set(write.set, write.value, write.ttlSeconds);
        else addToSet(write.addToSet, write.member, write.ttlSeconds);
      }
    },
    async readThrough(indexKey, targets) {
      const id = stringAt(indexKey);
      return id === undefined ? undefined : { id, values: targets.map((target) => stringAt(`${target.prefix}${id}${target.suffix}`)) };
    },
    async ping() {},
    async close() {
      clearInterval(sweep);
      entries.clear();
    },
  };
}
