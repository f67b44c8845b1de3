/**
 * APIs (resource servers) that accept Gatehouse access tokens. Each is the single `aud` of the
 * RFC 9068 JWT access tokens issued for it.
 */
import { z } from 'zod';
import type { Clock } from '../clock.ts';
import { MAX_API_ACCESS_TOKEN_TTL } from '../config.ts';
import { Conflict, ValidationFailed } from '../errors.ts';
import type { ApiQueries, ApiRow } from '../storage/queries/apis.ts';
import { createTtlCache } from '../ttl-cache.ts';

export interface Api {
  identifier: string;
  name: string;
  scopes: Array<{ name: string; description: string }>;
  accessTokenTtl: number | null;
}

const SCOPE_NAME = /^[\x21\x23-\x5B\x5D-\x7E]+$/; // RFC 6749 scope-token characters

const newApiSchema = z.object({
  identifier: z.url().refine((value) => !value.includes('#'), 'must not contain a fragment'),
  name: z.string().min(1).max(200),
  scopes: z.array(z.object({ name: z.string().regex(SCOPE_NAME).max(128), description: z.string().max(500) })).max(200),
  accessTokenTtl: z.number().int().min(60).max(MAX_API_ACCESS_TOKEN_TTL).nullable().default(null),
});

const toApi = (row: ApiRow): Api => ({
  identifier: row.identifier,
  name: row.name,
  scopes: row.scopes,
  accessTokenTtl: row.access_token_ttl,
});

export function createApiService(deps: { apis: ApiQueries; clock: Clock; cacheTtlMs: number }) {
  const cache = createTtlCache<Api | undefined>({ ttlMs: deps.cacheTtlMs, maxEntries: 10_000, clock: deps.clock });
  return {
    async create(input: z.input<typeof newApiSchema>): Promise<Api> {
      const parsed = newApiSchema.safeParse(input);
      if (!parsed.success) throw new ValidationFailed(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
      const api = parsed.data;
      try {
        cache.delete(api.identifier);
        await deps.apis.insert({
          identifier: api.identifier,
          name: api.name,
          scopes: api.scopes,
          access_token_ttl: api.accessTokenTtl,
        });
      } catch (error) {
        if (error instanceof Conflict) throw new Conflict(`API ${api.identifier} already exists`);
        throw error;
      }
      return api;
    },
    /** Cached: every JWT access token looks its API up. */
    find: (identifier: string) =>
      cache.getOrLoad(identifier, async () => {
        const row = await deps.apis.find(identifier);
        return row ? toApi(row) : undefined;
      }),
    list: async () => (await deps.apis.list()).map(toApi),
    /** Creates a built-in API (the admin API) on first start; every instance may race to do it. */
    async ensure(api: z.input<typeof newApiSchema>): Promise<void> {
      if (await this.find(api.identifier)) return;
      await this.create(api).catch((error: unknown) => {
        if (!(error instanceof Conflict)) throw error;
      });
    },
  };
}

export type ApiService = ReturnType<typeof createApiService>;
