import { LRUCache } from 'lru-cache';
import type { Clock } from './clock.ts';

/**
 * A bounded LRU cache (lru-cache) with per-entry expiry on the one clock. Lookups of rarely
 * changing records (clients, APIs, role facts) on the token endpoint's hot path go through it; a
 * short TTL bounds how long another instance's change stays unseen, and local writes clear it at
 * once. "Not found" is cached too (boxed: lru-cache holds no `undefined`).
 */
export function createTtlCache<V>(options: { ttlMs: number; maxEntries: number; clock: Clock }) {
  const entries = new LRUCache<string, { value: V }>({
    // A bound by size (each entry 1), not `max`: `max` makes lru-cache preallocate its arrays for
    // every entry up front (~3 MiB of idle memory across the hot-path caches, most never filled).
    maxSize: options.maxEntries,
    sizeCalculation: () => 1,
    ttl: options.ttlMs,
    // Expiry reads the injected clock on every lookup (the test clock moves in jumps).
    ttlResolution: 0,
    perf: { now: () => options.clock.now().getTime() },
  });
  return {
    async getOrLoad(key: string, load: () => Promise<V>): Promise<V> {
      const hit = entries.get(key);
      if (hit) return hit.value;
      const value = await load();
      entries.set(key, { value });
      return value;
    },
    delete: (key: string) => entries.delete(key),
    clear: () => entries.clear(),
  };
}
