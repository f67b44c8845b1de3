import type { Clock } from './clock.ts';

/**
 * A small bounded cache with per-entry expiry. Lookups of rarely changing records (clients, APIs)
 * on the token endpoint's hot path go through it; a short TTL bounds how long another instance's
 * change stays unseen, and local writes clear it at once.
 */
export function createTtlCache<V>(options: { ttlMs: number; maxEntries: number; clock: Clock }) {
  const entries = new Map<string, { value: V; expiresAt: number }>();
  return {
    async getOrLoad(key: string, load: () => Promise<V>): Promise<V> {
      const now = options.clock.now().getTime();
      const hit = entries.get(key);
      if (hit && hit.expiresAt > now) return hit.value;
      const value = await load();
      if (entries.size >= options.maxEntries) entries.delete(entries.keys().next().value as string);
      entries.set(key, { value, expiresAt: now + options.ttlMs });
      return value;
    },
    delete: (key: string) => entries.delete(key),
    clear: () => entries.clear(),
  };
}
