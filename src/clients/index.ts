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
import { MAX_API_ACCESS_TOKEN_TTL } from '../config.ts';
import { NotFound, ValidationFailed } from '../errors.ts';
import type { ClientMetadata, ClientQueries } from '../storage/queries/clients.ts';
import { createTtlCache } from '../ttl-cache.ts';
import { clientSecretMatches, generateClientSecret, hashClientSecret, importedClientSecretMatches, type PreviousClientSecret } from './client-secret.ts';

/**
 * 128 random bits in hex: a base64url id may start with '-', which every command line (ours
 * included) reads as a flag, and may differ from another only in case.
 */
const newClientId = () => randomBytes(16).toString('hex');

export {
  clientSecretAccepted,
  clientSecretMatches,
  generateClientSecret,
  hashClientSecret,
  isImportedClientSecret,
  type PreviousClientSecret,
} from './client-secret.ts';

import { validated } from '../validation.ts';

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

/** RFC 8693 token exchange: a service trading a user's token for one to call the next API (apis/token-exchange.ts). */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** RFC 8628 device authorization grant: CLIs and tools without a browser callback (oidc/device-flow.ts). */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', TOKEN_EXCHANGE_GRANT, DEVICE_CODE_GRANT] as const;
export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;

const origin = z.string().superRefine((value, ctx) => {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {}
  if (!url || url.origin !== value || (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) || !/^https?:$/.test(url.protocol)) {
    ctx.addIssue({ code: 'custom', message: `${value} is not an origin (https://host[:port], http only for loopback)` });
  }
});

/** A public JWK set for private_key_jwt: a private member here would leak the client's key. */
export const publicJwks = z
  .object({ keys: z.array(z.record(z.string(), z.unknown())).min(1).max(10) })
  .refine((jwks) => jwks.keys.every((key) => !['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].some((member) => member in key)), {
    message: 'jwks must hold public keys only',
  });

/** Per-client lifetimes may only shorten what the server and the API allow. */
const lifetime = (max: number) => z.number().int().min(60).max(max);

export const clientSettingsSchema = z.object({
  name: z.string().min(1).max(200).describe('Shown to people on the consent screen and in their account.'),
  type: z.enum(['public', 'confidential']).describe('public: no secret (browser and native apps, PKCE); confidential: authenticates.'),
  grantTypes: z.array(z.enum(GRANT_TYPES)).min(1).describe('The OAuth grants it may use.'),
  redirectUris: z.array(uri).max(50).default([]).describe('Exact redirect URIs (https; http only on loopback).'),
  postLogoutRedirectUris: z.array(uri).max(50).default([]).describe('Where RP-initiated logout may return to.'),
  scopes: z
    .array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/))
    .max(200)
    .default([])
    .describe('Scopes it may ask for: OIDC scopes (openid, email, profile, offline_access) and its APIs’ scopes.'),
  resources: z.array(z.url()).max(50).default([]).describe('APIs (identifiers) it may get access tokens for (RFC 8707).'),
  tokenEndpointAuthMethod: z.enum(AUTH_METHODS).optional().describe('How it authenticates; default: none (public) or client_secret_basic.'),
  jwksUri: z.url().optional().describe('Where its public keys are, for private_key_jwt.'),
  /** Inline public keys for private_key_jwt, for services that cannot serve a jwks_uri. */
  jwks: publicJwks.optional().describe('Its public keys inline, for private_key_jwt ({"keys":[…]}; private members refused).'),
  backchannelLogoutUri: uri.optional().describe('Where logout tokens are POSTed when a session ends (OIDC Back-Channel Logout).'),
  keepOfflineAccessOnLogout: z.boolean().default(false).describe('Keep its offline_access refresh tokens when the user logs out.'),
  /** ID-token signing algorithm the client asks for; ES256/EdDSA need GATEHOUSE_SIGNING_ALGS. */
  idTokenSigningAlg: z.enum(['RS256', 'ES256', 'EdDSA']).optional().describe('How its ID tokens are signed (ES256/EdDSA need GATEHOUSE_SIGNING_ALGS).'),
  /** First-party clients skip the consent screen; third-party clients never do. */
  firstParty: z.boolean().default(false).describe('First-party: skips the consent screen (third-party clients never do).'),
  requireMfa: z.boolean().default(false).describe('Every sign-in to it needs a second factor.'),
  requirePasskey: z.boolean().default(false).describe('Every sign-in to it needs a passkey (phishing-resistant, urn:gatehouse:loa:3); TOTP and recovery codes are not accepted.'),
  /** Browser origins allowed to call the token, userinfo and revocation endpoints (CORS). */
  allowedCorsOrigins: z.array(origin).max(20).optional().describe('Browser origins allowed to call the token, userinfo and revocation endpoints (CORS).'),
  accessTokenTtl: lifetime(MAX_API_ACCESS_TOKEN_TTL).optional().describe('Access-token lifetime in seconds, shorter than the server’s and the API’s.'),
  refreshTokenTtl: lifetime(365 * 86_400).optional().describe('Refresh-token lifetime in seconds, shorter than the server’s.'),
  /**
   * Loopback redirect URIs (http://127.0.0.1:PORT/…) of native apps match on any port by default,
   * as RFC 8252 §7.3 asks (the app listens on whatever port is free). true: the port must match
   * too, so no other local process on another port can receive this client's codes.
   */
  exactRedirectPort: z
    .boolean()
    .default(false)
    .describe('Loopback redirect URIs match only on their registered port (default: any port, RFC 8252 §7.3).'),
  /** RFC 9449: every token request must carry a DPoP proof, so every access token is bound to a key. */
  dpopBoundAccessTokens: z
    .boolean()
    .default(false)
    .describe('Every token request must carry a DPoP proof (RFC 9449), so every access token is bound to the client’s key.'),
});

const newClientSchema = clientSettingsSchema.superRefine((client, ctx) => {
  const issue = (message: string) => ctx.addIssue({ code: 'custom', message });
  if (client.grantTypes.includes('authorization_code') && client.redirectUris.length === 0) {
    issue('authorization_code clients need at least one redirect URI');
  }
  if (client.type === 'public' && client.grantTypes.includes('client_credentials')) {
    issue('public clients cannot use client_credentials');
  }
  if (client.type === 'public' && client.grantTypes.includes(TOKEN_EXCHANGE_GRANT)) {
    issue('public clients cannot exchange tokens (a service authenticates to act for a user)');
  }
  if (client.type === 'public' && client.tokenEndpointAuthMethod && client.tokenEndpointAuthMethod !== 'none') {
    issue('public clients authenticate with "none"');
  }
  if (client.type === 'confidential' && client.tokenEndpointAuthMethod === 'none') {
    issue('confidential clients must authenticate');
  }
  if (client.tokenEndpointAuthMethod === 'private_key_jwt' && !client.jwksUri && !client.jwks) {
    issue('private_key_jwt needs a jwks_uri or inline jwks');
  }
  if (client.jwksUri && client.jwks) issue('jwks and jwksUri are mutually exclusive');
});

export type NewClient = z.input<typeof newClientSchema>;

/** The client behind Gatehouse's own account pages, created by the server at start. */
export const ACCOUNT_CLIENT_ID = 'gatehouse-account';
export const CONSOLE_CLIENT_ID = 'gatehouse-console';
/** Clients the server registers itself at every start: configuration as code never exports or prunes them. */
export const BUILT_IN_CLIENT_IDS: ReadonlySet<string> = new Set([ACCOUNT_CLIENT_ID, CONSOLE_CLIENT_ID]);

/** A client id an operator chooses: URL-safe, so it can be a path segment and a form value as is. */
export const chosenClientIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9._~-]{3,128}$/, 'letters, digits and . _ ~ - (3–128)');
/** A secret an operator supplies: as long as a generated one is strong (256 bits ≈ 43 base64url characters). */
export const chosenClientSecretSchema = z.string().min(32, 'at least 32 characters (use a random value: openssl rand -base64 32)').max(512);

export interface ChosenCredentials {
  clientId?: string | undefined;
  clientSecret?: string | undefined;
}
type ClientSettings = z.output<typeof newClientSchema>;

export interface ClientSummary {
  clientId: string;
  name: string;
  type: 'public' | 'confidential';
  grantTypes: string[];
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  scopes: string[];
  resources: string[];
  tokenEndpointAuthMethod: string;
  firstParty: boolean;
  requireMfa: boolean;
  requirePasskey: boolean;
  allowedCorsOrigins: string[] | null;
  accessTokenTtl: number | null;
  refreshTokenTtl: number | null;
  /** Loopback redirect URIs match only on their registered port (otherwise any port, RFC 8252 §7.3). */
  exactRedirectPort: boolean;
  dpopBoundAccessTokens: boolean;
  jwksUri: string | null;
  jwks: { keys: Array<Record<string, unknown>> } | null;
  backchannelLogoutUri: string | null;
  keepOfflineAccessOnLogout: boolean;
  idTokenSigningAlg: string | null;
  /** Registered by the client itself (RFC 7591), not by an operator. */
  dynamic: boolean;
  /** Epoch seconds until which a previous secret is still accepted; null outside a rotation overlap. */
  previousSecretExpiresAt: number | null;
}

function summarize(metadata: ClientMetadata, nowSeconds: number, dynamic = false): ClientSummary {
  const previous = ((metadata.previous_client_secrets as PreviousClientSecret[] | undefined) ?? []).filter((entry) => entry.expires_at > nowSeconds);
  return {
    clientId: metadata.client_id,
    name: String(metadata.client_name ?? ''),
    type: metadata.token_endpoint_auth_method === 'none' ? 'public' : 'confidential',
    grantTypes: (metadata.grant_types as string[]) ?? [],
    redirectUris: (metadata.redirect_uris as string[]) ?? [],
    postLogoutRedirectUris: (metadata.post_logout_redirect_uris as string[]) ?? [],
    scopes: [
      ...String(metadata.scope ?? '')
        .split(' ')
        .filter(Boolean),
      ...((metadata.resource_scopes as string[]) ?? []),
    ],
    resources: (metadata.resources as string[]) ?? [],
    tokenEndpointAuthMethod: String(metadata.token_endpoint_auth_method ?? 'client_secret_basic'),
    firstParty: metadata.first_party === true,
    requireMfa: metadata.require_mfa === true,
    requirePasskey: metadata.require_passkey === true,
    allowedCorsOrigins: (metadata.allowed_cors_origins as string[] | undefined) ?? null,
    accessTokenTtl: (metadata.access_token_ttl as number | undefined) ?? null,
    refreshTokenTtl: (metadata.refresh_token_ttl as number | undefined) ?? null,
    exactRedirectPort: metadata.exact_redirect_port === true,
    dpopBoundAccessTokens: metadata.dpop_bound_access_tokens === true,
    jwksUri: (metadata.jwks_uri as string | undefined) ?? null,
    jwks: (metadata.jwks as { keys: Array<Record<string, unknown>> } | undefined) ?? null,
    backchannelLogoutUri: (metadata.backchannel_logout_uri as string | undefined) ?? null,
    keepOfflineAccessOnLogout: metadata.keep_offline_access_on_logout === true,
    idTokenSigningAlg: (metadata.id_token_signed_response_alg as string | undefined) ?? null,
    dynamic,
    previousSecretExpiresAt: previous.length ? Math.max(...previous.map((entry) => entry.expires_at)) : null,
  };
}

/** The metadata keys derived from ClientSettings; everything else (secrets, DCR records) is kept on update. */
const SETTINGS_KEYS = [
  'client_name',
  'grant_types',
  'response_types',
  'redirect_uris',
  'post_logout_redirect_uris',
  'token_endpoint_auth_method',
  'scope',
  'resources',
  'resource_scopes',
  'jwks_uri',
  'jwks',
  'backchannel_logout_uri',
  'backchannel_logout_session_required',
  'keep_offline_access_on_logout',
  'first_party',
  'require_mfa',
  'require_passkey',
  'id_token_signed_response_alg',
  'application_type',
  'allowed_cors_origins',
  'access_token_ttl',
  'refresh_token_ttl',
  'exact_redirect_port',
  'dpop_bound_access_tokens',
] as const;

function authMethodOf(c: ClientSettings): string {
  return c.tokenEndpointAuthMethod ?? (c.type === 'public' ? 'none' : 'client_secret_basic');
}

const usesSecret = (authMethod: unknown) => authMethod === 'client_secret_basic' || authMethod === 'client_secret_post';

function settingsMetadata(c: ClientSettings): Omit<ClientMetadata, 'client_id'> {
  const scope = [...new Set(c.scopes.filter((scope) => OIDC_SCOPES.has(scope)))].join(' ');
  return {
    client_name: c.name,
    grant_types: c.grantTypes,
    response_types: c.grantTypes.includes('authorization_code') ? ['code'] : [],
    redirect_uris: c.redirectUris,
    post_logout_redirect_uris: c.postLogoutRedirectUris,
    token_endpoint_auth_method: authMethodOf(c),
    ...(scope ? { scope } : {}),
    resources: c.resources,
    resource_scopes: [...new Set(c.scopes.filter((scope) => !OIDC_SCOPES.has(scope)))],
    ...(c.jwksUri ? { jwks_uri: c.jwksUri } : {}),
    ...(c.jwks ? { jwks: c.jwks } : {}),
    ...(c.backchannelLogoutUri ? { backchannel_logout_uri: c.backchannelLogoutUri, backchannel_logout_session_required: true } : {}),
    ...(c.keepOfflineAccessOnLogout ? { keep_offline_access_on_logout: true } : {}),
    ...(c.firstParty ? { first_party: true } : {}),
    ...(c.requireMfa ? { require_mfa: true } : {}),
    ...(c.requirePasskey ? { require_passkey: true } : {}),
    ...(c.idTokenSigningAlg ? { id_token_signed_response_alg: c.idTokenSigningAlg } : {}),
    ...(c.type === 'public' ? { application_type: c.redirectUris.some((u) => !u.startsWith('https:')) ? 'native' : 'web' } : {}),
    ...(c.allowedCorsOrigins ? { allowed_cors_origins: c.allowedCorsOrigins } : {}),
    ...(c.accessTokenTtl ? { access_token_ttl: c.accessTokenTtl } : {}),
    ...(c.refreshTokenTtl ? { refresh_token_ttl: c.refreshTokenTtl } : {}),
    ...(c.exactRedirectPort ? { exact_redirect_port: true } : {}),
    ...(c.dpopBoundAccessTokens ? { dpop_bound_access_tokens: true } : {}),
  };
}

const parseSettings = (input: NewClient): ClientSettings => validated(newClientSchema, input);

export function createClientService(deps: {
  clients: ClientQueries;
  /** Confirms a referenced API exists, so clients cannot ask for an unknown audience. */
  apiExists: (identifier: string) => Promise<boolean>;
  /** oidc-provider's own metadata validation, run before anything is stored. */
  validateMetadata?: (metadata: ClientMetadata) => Promise<void>;
  onChange?: (change: { kind: 'created' | 'updated' | 'deleted' | 'secret_rotated' | 'secret_upgraded'; clientId: string; details: Record<string, unknown> }) => void;
  clock: Clock;
  /** How long another instance's change may go unseen (local changes are seen at once). */
  cacheTtlMs: number;
}) {
  const cache = createTtlCache<ClientMetadata | undefined>({ ttlMs: deps.cacheTtlMs, maxEntries: 10_000, clock: deps.clock });
  const nowSeconds = () => Math.floor(deps.clock.now().getTime() / 1000);
  async function assertApisExist(resources: readonly string[]) {
    for (const resource of resources) {
      if (!(await deps.apiExists(resource))) throw new ValidationFailed([`resource ${resource} is not a registered API`]);
    }
  }

  /**
   * The settings of `input`, parsed, with every API they name registered. This reads the
   * database: call it before taking a client's row lock (the embedded database has one connection,
   * which the lock holds).
   */
  async function checkedSettings(input: NewClient): Promise<ClientSettings> {
    const settings = parseSettings(input);
    await assertApisExist(settings.resources);
    return settings;
  }

  /** Checked settings turned into metadata; what `existing` holds beyond the settings is kept. */
  function composeMetadata(settings: ClientSettings, clientId: string, existing: ClientMetadata | undefined): ClientMetadata {
    const kept = existing ? Object.fromEntries(Object.entries(existing).filter(([key]) => !(SETTINGS_KEYS as readonly string[]).includes(key))) : {};
    return { ...kept, ...settingsMetadata(settings), client_id: clientId };
  }

  /**
   * Validated metadata of a new client, or of one replacing `existing`: the id, the secret digest
   * (and its rotation overlap) and records owned elsewhere (dynamic registration) are kept. A
   * client that starts needing a secret gets one, returned here once. No database access.
   */
  async function prepare(
    settings: ClientSettings,
    existing?: ClientMetadata,
    chosen: ChosenCredentials = {},
  ): Promise<{ metadata: ClientMetadata; clientSecret: string | undefined }> {
    const metadata = composeMetadata(settings, existing?.client_id ?? chosen.clientId ?? newClientId(), existing);
    let clientSecret: string | undefined;
    if (!usesSecret(metadata.token_endpoint_auth_method)) {
      if (chosen.clientSecret !== undefined) throw new ValidationFailed([`clientSecret: a ${metadata.token_endpoint_auth_method} client has no secret`]);
      delete metadata.client_secret;
      delete metadata.previous_client_secrets;
    } else if (typeof metadata.client_secret !== 'string') {
      // A secret the operator supplied (configuration as code) is theirs already: it is not echoed back.
      clientSecret = chosen.clientSecret === undefined ? generateClientSecret() : undefined;
      metadata.client_secret = hashClientSecret(chosen.clientSecret ?? clientSecret ?? '');
    }
    await deps.validateMetadata?.(metadata);
    return { metadata, clientSecret };
  }
  /** A client Gatehouse itself uses: created once, kept in step with the issuer (another port, a new domain). */
  async function ensureBuiltIn(metadata: ClientMetadata): Promise<string> {
    const clientId = metadata.client_id;
    const existing = await deps.clients.find(clientId);
    if (existing) {
      const drifted = (['redirect_uris', 'post_logout_redirect_uris', 'scope', 'resources', 'resource_scopes'] as const).some(
        (key) => JSON.stringify(existing[key]) !== JSON.stringify(metadata[key]),
      );
      if (drifted) await deps.clients.update(metadata);
      cache.delete(clientId);
      return clientId;
    }
    await deps.clients.insert(metadata).catch(async (error: unknown) => {
      if (!(await deps.clients.find(clientId))) throw error; // another instance won the race
    });
    return clientId;
  }

  return {
    /** Client metadata for oidc-provider, cached (the token endpoint's hot path). */
    findMetadata: (clientId: string) => cache.getOrLoad(clientId, () => deps.clients.find(clientId)),
    /**
     * The client behind Gatehouse's own account pages: public, first-party, created once.
     * A fixed id, so every instance finds the same record.
     */
    async ensureAccountClient(issuer: string): Promise<string> {
      return ensureBuiltIn({
        client_id: ACCOUNT_CLIENT_ID,
        client_name: 'Your account',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [`${issuer}/account/callback`],
        token_endpoint_auth_method: 'none',
        scope: 'openid',
        first_party: true,
      });
    },

    /**
     * The admin console's own client: public (code + PKCE; the console's server side redeems the
     * code and keeps the token), first-party, allowed the admin API's scopes. What a person may
     * do with the token is still the admin API's decision (role and second factor).
     */
    async ensureConsoleClient(issuer: string, adminApi: { identifier: string; scopes: readonly string[] }): Promise<string> {
      return ensureBuiltIn({
        client_id: CONSOLE_CLIENT_ID,
        client_name: 'Admin console',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [`${issuer}/console/callback`],
        post_logout_redirect_uris: [`${issuer}/console/signed-out`],
        token_endpoint_auth_method: 'none',
        scope: 'openid email',
        resources: [adminApi.identifier],
        resource_scopes: [...adminApi.scopes],
        first_party: true,
      });
    },

    /**
     * `chosen` lets the operator name the client id (configuration as code keeps ids stable across
     * environments) and supply the secret (from their secret store; only its digest is kept).
     */
    async create(input: NewClient, chosen: ChosenCredentials = {}): Promise<{ client: ClientSummary; clientSecret: string | undefined }> {
      const { metadata, clientSecret } = await prepare(await checkedSettings(input), undefined, chosen);
      await deps.clients.insert(metadata);
      cache.delete(metadata.client_id);
      const client = summarize(metadata, nowSeconds());
      deps.onChange?.({ kind: 'created', clientId: client.clientId, details: { name: client.name, grantTypes: client.grantTypes, type: client.type } });
      return { client, clientSecret };
    },

    async find(clientId: string): Promise<ClientSummary | undefined> {
      const metadata = await deps.clients.find(clientId);
      return metadata ? summarize(metadata, nowSeconds(), await deps.clients.isDynamic(clientId)) : undefined;
    },

    /**
     * Replaces a client's settings. The secret (and its rotation overlap) is kept; a client that
     * starts using a secret gets one, returned once; one that stops using it loses it.
     */
    async update(clientId: string, input: NewClient): Promise<{ client: ClientSummary; clientSecret: string | undefined }> {
      const settings = await checkedSettings(input);
      let clientSecret: string | undefined;
      const metadata = await deps.clients.transform(clientId, async (existing) => {
        const prepared = await prepare(settings, existing);
        clientSecret = prepared.clientSecret;
        return prepared.metadata;
      });
      if (!metadata) throw new NotFound(`client ${clientId}`);
      cache.delete(clientId);
      deps.onChange?.({ kind: 'updated', clientId, details: { name: metadata.client_name, grantTypes: metadata.grant_types } });
      return { client: summarize(metadata, nowSeconds()), clientSecret };
    },

    /**
     * A new secret, shown once. The old one keeps working for `overlapSeconds` (0 ends it now), so
     * a fleet can roll the new secret out before the old one stops working.
     */
    async rotateSecret(
      clientId: string,
      options: { overlapSeconds: number; clientSecret?: string | undefined },
    ): Promise<{ clientSecret: string; previousSecretExpiresAt: number | null }> {
      if (!Number.isInteger(options.overlapSeconds) || options.overlapSeconds < 0 || options.overlapSeconds > MAX_SECRET_OVERLAP_SECONDS) {
        throw new ValidationFailed([`overlap must be a whole number of seconds between 0 and ${MAX_SECRET_OVERLAP_SECONDS}`]);
      }
      const clientSecret = options.clientSecret ?? generateClientSecret();
      const now = nowSeconds();
      let usesSecrets = true;
      const metadata = await deps.clients.transform(clientId, async (existing) => {
        if (!usesSecret(existing.token_endpoint_auth_method) || typeof existing.client_secret !== 'string') {
          usesSecrets = false;
          return existing;
        }
        const stillValid = ((existing.previous_client_secrets as PreviousClientSecret[] | undefined) ?? []).filter((entry) => entry.expires_at > now);
        // At most two secrets besides the new one: the newest previous one wins the slot.
        const previous = options.overlapSeconds > 0 ? [{ digest: existing.client_secret, expires_at: now + options.overlapSeconds }, ...stillValid].slice(0, 2) : [];
        return { ...existing, client_secret: hashClientSecret(clientSecret), previous_client_secrets: previous };
      });
      if (!metadata) throw new NotFound(`client ${clientId}`);
      if (!usesSecrets) throw new ValidationFailed([`client ${clientId} does not authenticate with a client secret`]);
      cache.delete(clientId);
      const previousSecretExpiresAt = summarize(metadata, now).previousSecretExpiresAt;
      deps.onChange?.({ kind: 'secret_rotated', clientId, details: { overlapSeconds: options.overlapSeconds } });
      return { clientSecret, previousSecretExpiresAt };
    },

    /** Whether `presented` is the client's current secret (constant time); false for a client without one. */
    async secretMatches(clientId: string, presented: string): Promise<boolean> {
      const metadata = await deps.clients.find(clientId);
      if (!metadata) throw new NotFound(`client ${clientId}`);
      return clientSecretMatches(metadata.client_secret as string | undefined, presented);
    },

    /**
     * A client registered by the client itself (RFC 7591): always third-party, checked like any
     * other, and stored by `persist` (the caller's transaction, which also spends its quota).
     */
    async register(
      input: NewClient,
      persist: (metadata: ClientMetadata) => Promise<void>,
    ): Promise<{ metadata: ClientMetadata; clientSecret: string | undefined }> {
      const { metadata, clientSecret } = await prepare(await checkedSettings({ ...input, firstParty: false }));
      await persist(metadata);
      cache.delete(metadata.client_id);
      deps.onChange?.({ kind: 'created', clientId: metadata.client_id, details: { name: metadata.client_name, grantTypes: metadata.grant_types, dynamic: true } });
      return { metadata, clientSecret };
    },

    /** Replaces a dynamically registered client's metadata (RFC 7592 update), stored by `persist`. */
    async replace(
      current: ClientMetadata,
      input: NewClient,
      persist: (metadata: ClientMetadata) => Promise<void>,
    ): Promise<{ metadata: ClientMetadata; clientSecret: string | undefined }> {
      const { metadata, clientSecret } = await prepare(await checkedSettings({ ...input, firstParty: false }), current);
      await persist(metadata);
      cache.delete(metadata.client_id);
      deps.onChange?.({ kind: 'updated', clientId: metadata.client_id, details: { name: metadata.client_name, grantTypes: metadata.grant_types } });
      return { metadata, clientSecret };
    },

    /**
     * Metadata of a client brought from another system (an import) under its own id, checked like
     * any other client. `secret` is stored as given (a digest, or an imported Django hash); a
     * client that does not use a secret has none. Storing is the caller's (one transaction).
     */
    async importedMetadata(clientId: string, input: NewClient, secret: string | undefined, existing?: ClientMetadata): Promise<ClientMetadata> {
      const metadata = composeMetadata(await checkedSettings(input), clientId, existing);
      delete metadata.client_secret;
      if (usesSecret(metadata.token_endpoint_auth_method)) {
        if (!secret) throw new ValidationFailed([`client ${clientId}: a confidential client needs its secret`]);
        metadata.client_secret = secret;
      } else {
        delete metadata.previous_client_secrets;
      }
      await deps.validateMetadata?.(metadata);
      return metadata;
    },
    /** Forgets cached metadata of a client changed by other means (an import, the unused-client sweep). */
    forget: (clientId: string) => void cache.delete(clientId),

    /**
     * An imported (django-oauth-toolkit) secret presented by its client: checked with Django's
     * hasher and, when it matches, re-stored as Gatehouse's digest (compare-and-set on the stored
     * value, so a rotation that landed meanwhile wins). The old hash is gone afterwards.
     */
    async acceptImportedSecret(clientId: string, stored: string, presented: string): Promise<boolean> {
      if (!(await importedClientSecretMatches(stored, presented))) return false;
      let upgraded = false;
      await deps.clients.transform(clientId, async (existing) => {
        if (existing.client_secret !== stored) return existing;
        upgraded = true;
        return { ...existing, client_secret: hashClientSecret(presented) };
      });
      cache.delete(clientId);
      if (upgraded) deps.onChange?.({ kind: 'secret_upgraded', clientId, details: { from: 'django' } });
      return true;
    },

    list: async () => {
      const dynamic = await deps.clients.dynamicIds();
      return (await deps.clients.list()).map((metadata) => summarize(metadata, nowSeconds(), dynamic.has(metadata.client_id)));
    },
    async delete(clientId: string): Promise<boolean> {
      const deleted = await deps.clients.delete(clientId);
      cache.delete(clientId);
      if (deleted) deps.onChange?.({ kind: 'deleted', clientId, details: {} });
      return deleted;
    },
  };
}

/** A week: long enough for any deploy train, short enough that a leaked old secret dies soon. */
export const MAX_SECRET_OVERLAP_SECONDS = 7 * 86_400;

export type ClientService = ReturnType<typeof createClientService>;
