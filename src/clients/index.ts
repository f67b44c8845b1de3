/**
 * OAuth clients: registration by operators, listing, deletion. Secrets are shown once and stored
 * as digests.
 *
 * @example
 * const { client, clientSecret } = await clients.create({ name: 'Billing', type: 'confidential',
 *   grantTypes: ['client_credentials'], resources: ['https://api.example.com'], scopes: ['invoices:read'] });
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../clock.ts';
import { ValidationFailed } from '../errors.ts';
import type { ClientMetadata, ClientQueries } from '../storage/queries/clients.ts';
import { createTtlCache } from '../ttl-cache.ts';
import { generateClientSecret, hashClientSecret } from './client-secret.ts';

export { clientSecretMatches, generateClientSecret, hashClientSecret } from './client-secret.ts';

/** Scopes oidc-provider itself knows; every other scope belongs to a registered API. */
export const OIDC_SCOPES = new Set(['openid', 'offline_access', 'email', 'profile']);

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** https anywhere; http only on loopback (RFC 8252 §7.3); private-use schemes for native apps. */
function redirectUriProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${value} is not an absolute URL`;
  }
  if (url.hash) return `${value} must not contain a fragment`;
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
    return `${value} uses http: only loopback redirect URIs may use http (RFC 8252)`;
  }
  if (url.protocol === 'javascript:' || url.protocol === 'data:') return `${value} uses a forbidden scheme`;
  return undefined;
}

const uri = z.string().superRefine((value, ctx) => {
  const problem = redirectUriProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;

const newClientSchema = z
  .object({
    name: z.string().min(1).max(200),
    type: z.enum(['public', 'confidential']),
    grantTypes: z.array(z.enum(GRANT_TYPES)).min(1),
    redirectUris: z.array(uri).default([]),
    postLogoutRedirectUris: z.array(uri).default([]),
    scopes: z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/)).default([]),
    resources: z.array(z.url()).default([]),
    tokenEndpointAuthMethod: z.enum(AUTH_METHODS).optional(),
    jwksUri: z.url().optional(),
    backchannelLogoutUri: uri.optional(),
    keepOfflineAccessOnLogout: z.boolean().default(false),
    /** ID-token signing algorithm the client asks for; ES256/EdDSA need GATEHOUSE_SIGNING_ALGS. */
    idTokenSigningAlg: z.enum(['RS256', 'ES256', 'EdDSA']).optional(),
    /** First-party clients skip the consent screen; third-party clients never do. */
    firstParty: z.boolean().default(false),
  })
  .superRefine((client, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: 'custom', message });
    if (client.grantTypes.includes('authorization_code') && client.redirectUris.length === 0) {
      issue('authorization_code clients need at least one redirect URI');
    }
    if (client.type === 'public' && client.grantTypes.includes('client_credentials')) {
      issue('public clients cannot use client_credentials');
    }
    if (client.type === 'public' && client.tokenEndpointAuthMethod && client.tokenEndpointAuthMethod !== 'none') {
      issue('public clients authenticate with "none"');
    }
    if (client.type === 'confidential' && client.tokenEndpointAuthMethod === 'none') {
      issue('confidential clients must authenticate');
    }
    if (client.tokenEndpointAuthMethod === 'private_key_jwt' && !client.jwksUri) {
      issue('private_key_jwt needs a jwks_uri');
    }
  });

export type NewClient = z.input<typeof newClientSchema>;

export interface ClientSummary {
  clientId: string;
  name: string;
  type: 'public' | 'confidential';
  grantTypes: string[];
  redirectUris: string[];
  scopes: string[];
  resources: string[];
}

function summarize(metadata: ClientMetadata): ClientSummary {
  return {
    clientId: metadata.client_id,
    name: String(metadata.client_name ?? ''),
    type: metadata.token_endpoint_auth_method === 'none' ? 'public' : 'confidential',
    grantTypes: (metadata.grant_types as string[]) ?? [],
    redirectUris: (metadata.redirect_uris as string[]) ?? [],
    scopes: [
      ...String(metadata.scope ?? '')
        .split(' ')
        .filter(Boolean),
      ...((metadata.resource_scopes as string[]) ?? []),
    ],
    resources: (metadata.resources as string[]) ?? [],
  };
}

export function createClientService(deps: {
  clients: ClientQueries;
  /** Confirms a referenced API exists, so clients cannot ask for an unknown audience. */
  apiExists: (identifier: string) => Promise<boolean>;
  /** oidc-provider's own metadata validation, run before anything is stored. */
  validateMetadata?: (metadata: ClientMetadata) => Promise<void>;
  onChange?: (change: { kind: 'created' | 'updated' | 'deleted'; clientId: string; details: Record<string, unknown> }) => void;
  clock: Clock;
  /** How long another instance's change may go unseen (local changes are seen at once). */
  cacheTtlMs: number;
}) {
  const cache = createTtlCache<ClientMetadata | undefined>({ ttlMs: deps.cacheTtlMs, maxEntries: 10_000, clock: deps.clock });

  /** Validated metadata of a client (new, or replacing `existing.clientId`), not yet stored. */
  const prepare = async (
    input: NewClient,
    existing: { clientId?: string; secretDigest?: string | undefined },
  ): Promise<{ metadata: ClientMetadata; clientSecret: string | undefined }> => {
    const parsed = newClientSchema.safeParse(input);
    if (!parsed.success) {
      throw new ValidationFailed(parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ` : '') + i.message));
    }
    const c = parsed.data;
    for (const resource of c.resources) {
      if (!(await deps.apiExists(resource))) throw new ValidationFailed([`resource ${resource} is not a registered API`]);
    }
    const authMethod = c.tokenEndpointAuthMethod ?? (c.type === 'public' ? 'none' : 'client_secret_basic');
    const needsSecret = authMethod === 'client_secret_basic' || authMethod === 'client_secret_post';
    const clientSecret = needsSecret && !existing.secretDigest ? generateClientSecret() : undefined;
    const secretDigest = needsSecret ? (existing.secretDigest ?? hashClientSecret(clientSecret!)) : undefined;
    const metadata: ClientMetadata = {
      client_id: existing.clientId ?? randomBytes(16).toString('base64url'),
      client_name: c.name,
      grant_types: c.grantTypes,
      response_types: c.grantTypes.includes('authorization_code') ? ['code'] : [],
      redirect_uris: c.redirectUris,
      post_logout_redirect_uris: c.postLogoutRedirectUris,
      token_endpoint_auth_method: authMethod,
      scope: [...new Set(c.scopes.filter((scope) => OIDC_SCOPES.has(scope)))].join(' ') || undefined,
      resources: c.resources,
      resource_scopes: [...new Set(c.scopes.filter((scope) => !OIDC_SCOPES.has(scope)))],
      ...(secretDigest ? { client_secret: secretDigest } : {}),
      ...(c.jwksUri ? { jwks_uri: c.jwksUri } : {}),
      ...(c.backchannelLogoutUri ? { backchannel_logout_uri: c.backchannelLogoutUri, backchannel_logout_session_required: true } : {}),
      ...(c.keepOfflineAccessOnLogout ? { keep_offline_access_on_logout: true } : {}),
      ...(c.firstParty ? { first_party: true } : {}),
      ...(c.idTokenSigningAlg ? { id_token_signed_response_alg: c.idTokenSigningAlg } : {}),
      ...(c.type === 'public' ? { application_type: c.redirectUris.some((u) => !u.startsWith('https:')) ? 'native' : 'web' } : {}),
    };
    if (metadata.scope === undefined) delete metadata.scope;
    await deps.validateMetadata?.(metadata);
    return { metadata, clientSecret };
  };
  return {
    /** Client metadata for oidc-provider, cached (the token endpoint's hot path). */
    findMetadata: (clientId: string) => cache.getOrLoad(clientId, () => deps.clients.find(clientId)),
    /**
     * The client behind Gatehouse's own account pages: public, first-party, created once.
     * A fixed id, so every instance finds the same record.
     */
    async ensureAccountClient(issuer: string): Promise<string> {
      const clientId = 'gatehouse-account';
      const existing = await deps.clients.find(clientId);
      const metadata: ClientMetadata = {
        client_id: clientId,
        client_name: 'Your account',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [`${issuer}/account/callback`],
        token_endpoint_auth_method: 'none',
        scope: 'openid',
        first_party: true,
      };
      if (existing) {
        // The issuer may have changed (another port, a new domain): keep the callback in step.
        if (JSON.stringify(existing.redirect_uris) !== JSON.stringify(metadata.redirect_uris)) await deps.clients.update(metadata);
        cache.delete(clientId);
        return clientId;
      }
      await deps.clients.insert(metadata).catch(async (error: unknown) => {
        if (!(await deps.clients.find(clientId))) throw error; // another instance won the race
      });
      return clientId;
    },

    async create(input: NewClient): Promise<{ client: ClientSummary; clientSecret: string | undefined }> {
      const { metadata, clientSecret } = await prepare(input, {});
      await deps.clients.insert(metadata);
      cache.delete(metadata.client_id);
      const client = summarize(metadata);
      deps.onChange?.({ kind: 'created', clientId: client.clientId, details: { name: client.name, grantTypes: client.grantTypes, type: client.type } });
      return { client, clientSecret };
    },

    /**
     * A client registered by the client itself (RFC 7591): always third-party, checked like any
     * other, and stored by `persist` (the caller's transaction, which also spends its quota).
     */
    async register(
      input: NewClient,
      persist: (metadata: ClientMetadata) => Promise<void>,
    ): Promise<{ metadata: ClientMetadata; clientSecret: string | undefined }> {
      const { metadata, clientSecret } = await prepare({ ...input, firstParty: false }, {});
      await persist(metadata);
      cache.delete(metadata.client_id);
      deps.onChange?.({ kind: 'created', clientId: metadata.client_id, details: { name: metadata.client_name, grantTypes: metadata.grant_types, dynamic: true } });
      return { metadata, clientSecret };
    },

    /**
     * Replaces a client's metadata (RFC 7592 update): same id, same secret digest while it still
     * needs one (a client that becomes confidential gets a new secret, returned here once).
     */
    async replace(
      current: ClientMetadata,
      input: NewClient,
      persist: (metadata: ClientMetadata) => Promise<void>,
    ): Promise<{ metadata: ClientMetadata; clientSecret: string | undefined }> {
      const keep = typeof current.client_secret === 'string' ? current.client_secret : undefined;
      const { metadata, clientSecret } = await prepare({ ...input, firstParty: false }, { clientId: current.client_id, secretDigest: keep });
      await persist(metadata);
      cache.delete(metadata.client_id);
      deps.onChange?.({ kind: 'updated', clientId: metadata.client_id, details: { name: metadata.client_name, grantTypes: metadata.grant_types } });
      return { metadata, clientSecret };
    },

    /** Forgets cached metadata of a client deleted by other means (the unused-client sweep). */
    forget: (clientId: string) => void cache.delete(clientId),
    list: async () => (await deps.clients.list()).map(summarize),
    async delete(clientId: string): Promise<boolean> {
      const deleted = await deps.clients.delete(clientId);
      cache.delete(clientId);
      if (deleted) deps.onChange?.({ kind: 'deleted', clientId, details: {} });
      return deleted;
    },
  };
}

export type ClientService = ReturnType<typeof createClientService>;
