/**
 * APIs (resource servers) that accept Gatehouse access tokens. Each is the single `aud` of the
 * RFC 9068 JWT access tokens issued for it, and chooses which claims (from the allow-list, never
 * PII) and which signing algorithm those tokens use.
 *
 * @example
 * const apis = createApiService({ apis: queries.apis, clock, cacheTtlMs, claimsAllowList: ['roles'], signingAlgs: ['RS256'] });
 * await apis.create({ identifier: 'https://orders.example.com', name: 'Orders', scopes: [], claims: ['roles'] });
 * await apis.update('https://orders.example.com', { accessTokenTtl: 600 });
 */
import { z } from 'zod';
import type { Clock } from '../clock.ts';
import { ACCESS_TOKEN_PII_CLAIMS, MAX_API_ACCESS_TOKEN_TTL } from '../config.ts';
import { Conflict, NotFound, ValidationFailed } from '../errors.ts';
import type { ApiQueries, ApiRow } from '../storage/queries/apis.ts';
import type { ClientMetadata } from '../storage/queries/clients.ts';
import type { Transact } from '../storage/transaction.ts';
import { createTtlCache } from '../ttl-cache.ts';
import {
  API_CLIENT_ID_PREFIX,
  type ApiAuthMethod,
  type ApiCredentialsInput,
  apiCredentialsInputSchema,
  introspectionClientMetadata,
  issueApiCredentials,
  type StoredApiCredentials,
} from './credentials.ts';
import { type TokenExchangeRule, tokenExchangeRuleSchema } from './token-exchange.ts';

export { API_AUTH_METHODS, API_CLIENT_ID_PREFIX, type ApiAuthMethod, type ApiCredentialsInput } from './credentials.ts';

export {
  type ActorClaim,
  chainDepth,
  decideTokenExchange,
  EXCHANGE_MODES,
  type ExchangeDecision,
  type ExchangeRequest,
  type TokenExchangeRule,
  tokenExchangeRuleSchema,
} from './token-exchange.ts';

import { validated } from '../validation.ts';

export const API_SIGNING_ALGS = ['RS256', 'ES256', 'EdDSA'] as const;
export type ApiSigningAlg = (typeof API_SIGNING_ALGS)[number];
/** jwt: RFC 9068, verifiable with the JWKS alone; opaque: a stored reference, revocable at once (introspection, token exchange). */
export const ACCESS_TOKEN_FORMATS = ['jwt', 'opaque'] as const;
export type AccessTokenFormat = (typeof ACCESS_TOKEN_FORMATS)[number];

export interface Api {
  identifier: string;
  name: string;
  scopes: ApiScope[];
  accessTokenTtl: number | null;
  /** Claims its access tokens carry besides sub, client_id and scope (roles, groups, org_id). */
  claims: string[];
  signingAlg: ApiSigningAlg;
  accessTokenFormat: AccessTokenFormat;
  /** Who may exchange tokens issued for this API, for which APIs (RFC 8693; apis/token-exchange.ts). */
  tokenExchange: TokenExchangeRule[];
  /** Its own credentials for the introspection endpoint (apis/credentials.ts); null: none. */
  introspection: { clientId: string; method: ApiAuthMethod } | null;
}

/** A scope, described for the consent page: `description` (English, the default) and per language (`{ es: '…' }`). */
export interface ApiScope {
  name: string;
  description: string;
  descriptions?: Record<string, string>;
}

const LANGUAGE_TAG = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

const SCOPE_NAME = /^[\x21\x23-\x5B\x5D-\x7E]+$/; // RFC 6749 scope-token characters

function apiFields(allowList: readonly string[], signingAlgs: readonly string[]) {
  return {
    name: z.string().min(1).max(200),
    scopes: z
      .array(
        z.object({
          name: z.string().regex(SCOPE_NAME).max(128),
          description: z.string().max(500),
          descriptions: z.record(z.string().regex(LANGUAGE_TAG, 'is not a language tag (es, zh, pt-BR)'), z.string().max(500)).optional(),
        }),
      )
      .max(200),
    accessTokenTtl: z.number().int().min(60).max(MAX_API_ACCESS_TOKEN_TTL).nullable(),
    claims: z.array(
      z.string().superRefine((claim, ctx) => {
        if (ACCESS_TOKEN_PII_CLAIMS.has(claim)) ctx.addIssue({ code: 'custom', message: `${claim} is personal data and never goes into access tokens` });
        else if (!allowList.includes(claim)) ctx.addIssue({ code: 'custom', message: `${claim} is not in GATEHOUSE_ACCESS_TOKEN_CLAIMS (${allowList.join(', ')})` });
      }),
    ).transform((claims) => [...new Set(claims)]),
    signingAlg: z
      .enum(API_SIGNING_ALGS)
      .refine((alg) => signingAlgs.includes(alg), `has no signing keys: add it to GATEHOUSE_SIGNING_ALGS (${signingAlgs.join(', ')})`),
    accessTokenFormat: z.enum(ACCESS_TOKEN_FORMATS),
    tokenExchange: z.array(tokenExchangeRuleSchema).max(50),
  };
}

function schemas(allowList: readonly string[], signingAlgs: readonly string[]) {
  const fields = apiFields(allowList, signingAlgs);
  return {
    create: z.object({
      identifier: z.url().refine((value) => !value.includes('#'), 'must not contain a fragment'),
      name: fields.name,
      scopes: fields.scopes,
      accessTokenTtl: fields.accessTokenTtl.default(null),
      claims: fields.claims.default([]),
      signingAlg: fields.signingAlg.default('RS256'),
      accessTokenFormat: fields.accessTokenFormat.default('jwt'),
      tokenExchange: fields.tokenExchange.default([]),
    }),
    update: z.object(fields).partial().strict(),
  };
}

export type NewApi = z.input<ReturnType<typeof schemas>['create']>;
export type ApiChanges = z.input<ReturnType<typeof schemas>['update']>;

const toApi = (row: ApiRow): Api => ({
  identifier: row.identifier,
  name: row.name,
  scopes: row.scopes,
  accessTokenTtl: row.access_token_ttl,
  claims: row.claims ?? [],
  signingAlg: row.signing_alg as ApiSigningAlg,
  accessTokenFormat: (row.access_token_format ?? 'jwt') as AccessTokenFormat,
  tokenExchange: parseStoredRules(row.token_exchange),
  introspection:
    row.introspection_client_id && row.introspection_credentials
      ? { clientId: row.introspection_client_id, method: (row.introspection_credentials as StoredApiCredentials).method }
      : null,
});

/** Rules as stored; a rule that no longer parses (hand-edited row) allows nothing rather than failing every token. */
function parseStoredRules(stored: unknown): TokenExchangeRule[] {
  if (!Array.isArray(stored)) return [];
  return stored.flatMap((rule) => {
    const parsedRule = tokenExchangeRuleSchema.safeParse(rule);
    return parsedRule.success ? [parsedRule.data] : [];
  });
}

const parsed = <T>(schema: z.ZodType<T>, input: unknown): T => validated(schema, input);

export function createApiService(deps: {
  apis: ApiQueries;
  clock: Clock;
  cacheTtlMs: number;
  /** GATEHOUSE_ACCESS_TOKEN_CLAIMS: the claims an API may choose. */
  claimsAllowList: readonly string[];
  /** GATEHOUSE_SIGNING_ALGS: the algorithms with signing keys. */
  signingAlgs: readonly string[];
  /** oidc-provider's own client-metadata validation, run on introspection credentials before they are stored. */
  validateMetadata?: (metadata: ClientMetadata) => Promise<void>;
  /** APIs the server registers itself (the admin API): never deleted. */
  isBuiltIn?: (identifier: string) => boolean;
  onChange?: (change: { kind: 'created' | 'updated' | 'deleted'; identifier: string }) => void;
  /** Composes an API's deletion with the clients that listed it (storage/transaction.ts). */
  transact: Transact;
  /** Clients whose metadata changed (their caches must forget them). */
  onClientsChanged?: (clientIds: readonly string[]) => void;
}) {
  const cache = createTtlCache<Api | undefined>({ ttlMs: deps.cacheTtlMs, maxEntries: 10_000, clock: deps.clock });
  const introspectionClients = createTtlCache<ClientMetadata | undefined>({ ttlMs: deps.cacheTtlMs, maxEntries: 10_000, clock: deps.clock });
  const schema = schemas(deps.claimsAllowList, deps.signingAlgs);
  /** Exchange targets must be registered APIs (an unknown one would be a rule that never works). */
  async function assertTargetsExist(rules: readonly TokenExchangeRule[] | undefined, self: string) {
    const targets = [...new Set((rules ?? []).flatMap((rule) => rule.audiences))];
    const unknown: string[] = [];
    for (const target of targets) if (target !== self && !(await deps.apis.find(target))) unknown.push(target);
    if (unknown.length > 0) throw new ValidationFailed(unknown.map((target) => `tokenExchange: ${target} is not a registered API`));
  }
  return {
    async create(input: NewApi): Promise<Api> {
      const api = parsed(schema.create, input);
      await assertTargetsExist(api.tokenExchange, api.identifier);
      try {
        cache.delete(api.identifier);
        await deps.apis.insert({
          identifier: api.identifier,
          name: api.name,
          scopes: api.scopes,
          access_token_ttl: api.accessTokenTtl,
          claims: api.claims,
          signing_alg: api.signingAlg,
          access_token_format: api.accessTokenFormat,
          token_exchange: api.tokenExchange,
        });
      } catch (error) {
        if (error instanceof Conflict) throw new Conflict(`API ${api.identifier} already exists`);
        throw error;
      }
      deps.onChange?.({ kind: 'created', identifier: api.identifier });
      return { ...api, introspection: null };
    },
    /** Changes some settings of an API; tokens issued from now on follow them (other instances within the cache TTL). */
    async update(identifier: string, changes: ApiChanges): Promise<Api> {
      const change = parsed(schema.update, changes);
      await assertTargetsExist(change.tokenExchange, identifier);
      const columns = {
        ...(change.name !== undefined ? { name: change.name } : {}),
        ...(change.scopes !== undefined ? { scopes: change.scopes } : {}),
        ...(change.accessTokenTtl !== undefined ? { access_token_ttl: change.accessTokenTtl } : {}),
        ...(change.claims !== undefined ? { claims: change.claims } : {}),
        ...(change.signingAlg !== undefined ? { signing_alg: change.signingAlg } : {}),
        ...(change.accessTokenFormat !== undefined ? { access_token_format: change.accessTokenFormat } : {}),
        ...(change.tokenExchange !== undefined ? { token_exchange: change.tokenExchange } : {}),
      };
      if (Object.keys(columns).length > 0 && !(await deps.apis.update(identifier, columns))) throw new NotFound(`API ${identifier}`);
      cache.delete(identifier);
      const row = await deps.apis.find(identifier);
      if (!row) throw new NotFound(`API ${identifier}`);
      deps.onChange?.({ kind: 'updated', identifier });
      return toApi(row);
    },
    /** The admin API, registered by the server itself. */
    isBuiltIn: (identifier: string) => deps.isBuiltIn?.(identifier) ?? false,
    /**
     * Deletes an API and its roles, and drops it from every client that listed it (its identifier
     * from `resources`, its scopes from `resource_scopes` unless another API the client keeps has
     * them), in one transaction: no client is left naming an API that is gone.
     */
    async delete(identifier: string): Promise<void> {
      if (deps.isBuiltIn?.(identifier)) throw new ValidationFailed([`${identifier} is built in and cannot be deleted`]);
      const changed = await deps.transact(async (q) => {
        if (!(await q.apis.delete(identifier))) throw new NotFound(`API ${identifier}`);
        const clientIds = await q.clients.listingResource(identifier);
        for (const clientId of clientIds) {
          await q.clients.transform(clientId, async (metadata) => {
            const resources = ((metadata.resources as string[] | undefined) ?? []).filter((resource) => resource !== identifier);
            const kept = new Set<string>();
            for (const resource of resources) for (const scope of (await q.apis.find(resource))?.scopes ?? []) kept.add(scope.name);
            const resourceScopes = ((metadata.resource_scopes as string[] | undefined) ?? []).filter((scope) => kept.has(scope));
            return { ...metadata, resources, resource_scopes: resourceScopes };
          });
        }
        return clientIds;
      });
      cache.delete(identifier);
      if (changed.length > 0) deps.onClientsChanged?.(changed);
      deps.onChange?.({ kind: 'deleted', identifier });
    },
    /** Cached: every JWT access token looks its API up. */
    find: (identifier: string) =>
      cache.getOrLoad(identifier, async () => {
        const row = await deps.apis.find(identifier);
        return row ? toApi(row) : undefined;
      }),
    list: async () => (await deps.apis.list()).map(toApi),
    /**
     * New introspection credentials for an API, replacing any it had (the old ones stop working
     * at once on this instance, on others within the cache TTL). The secret is returned only here.
     */
    async issueCredentials(identifier: string, input: ApiCredentialsInput): Promise<{ clientId: string; clientSecret: string | undefined; method: ApiAuthMethod }> {
      const issued = issueApiCredentials(parsed(apiCredentialsInputSchema, input));
      const row = await deps.apis.find(identifier);
      if (!row) throw new NotFound(`API ${identifier}`);
      await deps.validateMetadata?.(introspectionClientMetadata(row, issued.clientId, issued.stored));
      const previous = row.introspection_client_id;
      if (!(await deps.apis.update(identifier, { introspection_client_id: issued.clientId, introspection_credentials: issued.stored }))) {
        throw new NotFound(`API ${identifier}`);
      }
      cache.delete(identifier);
      if (previous) introspectionClients.delete(previous);
      return { clientId: issued.clientId, clientSecret: issued.clientSecret, method: issued.stored.method };
    },
    /** The API can no longer introspect. False when it had no credentials. */
    async removeCredentials(identifier: string): Promise<boolean> {
      const row = await deps.apis.find(identifier);
      if (!row) throw new NotFound(`API ${identifier}`);
      if (!row.introspection_client_id) return false;
      await deps.apis.update(identifier, { introspection_client_id: null, introspection_credentials: null });
      cache.delete(identifier);
      introspectionClients.delete(row.introspection_client_id);
      return true;
    },
    /** oidc-provider client metadata for an API's introspection credentials (cached: every introspection loads it). */
    introspectionClient: (clientId: string) =>
      clientId.startsWith(API_CLIENT_ID_PREFIX)
        ? introspectionClients.getOrLoad(clientId, async () => {
            const row = await deps.apis.findByIntrospectionClientId(clientId);
            if (!row?.introspection_credentials) return undefined;
            return introspectionClientMetadata(row, clientId, row.introspection_credentials as StoredApiCredentials);
          })
        : Promise.resolve(undefined),
    /** Creates a built-in API (the admin API) on first start; every instance may race to do it. */
    /**
     * Registers a built-in API once; on later starts only adds the per-language scope descriptions
     * it lacks (a newer release's translations), never overwriting what an operator changed.
     */
    async ensure(api: NewApi): Promise<void> {
      const existing = await this.find(api.identifier);
      if (existing) {
        const filled = existing.scopes.map((scope) => {
          const shipped = api.scopes.find((candidate) => candidate.name === scope.name)?.descriptions ?? {};
          const missing = Object.keys(shipped).filter((lang) => scope.descriptions?.[lang] === undefined);
          return missing.length ? { ...scope, descriptions: { ...shipped, ...scope.descriptions } } : scope;
        });
        if (filled.some((scope, i) => scope !== existing.scopes[i])) await this.update(api.identifier, { scopes: filled });
        return;
      }
      await this.create(api).catch((error: unknown) => {
        if (!(error instanceof Conflict)) throw error;
      });
    },
  };
}

export type ApiService = ReturnType<typeof createApiService>;
