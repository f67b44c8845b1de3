/**
 * The single `new Provider(...)`: every oidc-provider option Gatehouse sets, each with why.
 * Reference: panva/node-oidc-provider docs/README.md (v9).
 */
import { decodeJwt, type JWK } from 'jose';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { AccountService } from '../accounts/index.ts';
import type { ApiService } from '../apis/index.ts';
import type { AuditTrail } from '../audit/index.ts';
import { AUTH_METHODS } from '../clients/index.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import { STORE_RETRY_AFTER_SECONDS } from '../errors.ts';
import { errorKind, errorPageHtml } from '../http/errors.ts';
import { LOCALES, languageTag, negotiateLocale } from '../http/i18n.ts';
import { requestOrigin } from '../http/request-facts.ts';
import type { Views } from '../http/views.ts';
import { type Logger, securityEvent } from '../logger.ts';
import { MFA_ACR, PASSWORD_ACR, PHISHING_RESISTANT_ACR } from '../mfa/policy.ts';
import type { RbacService } from '../rbac/index.ts';
import type { SecurityService } from '../security/index.ts';
import { createAccessTokenClaims } from './access-token-claims.ts';
import { createAdapterFactory, type OidcStorage } from './adapter.ts';
import { authorizationRequestsByPost } from './authorization-post.ts';
import { refuseUngrantableClientCredentialsScopes } from './client-credentials-scopes.ts';
import { type ClientLike, metadataOf } from './client-metadata-of.ts';
import { deviceFlowFeature, installDeviceFlow } from './device-flow.ts';
import { keepDiscoveryDocument } from './discovery-document.ts';
import { auditProviderEvents } from './events.ts';
import { CLAIMS_BY_SCOPE, createFindAccount } from './find-account.ts';
import { createLoadExistingGrant } from './first-party.ts';
import { createInteractionPolicy } from './interaction-policy.ts';
import { answerIntrospectionWith, compareClientSecretsAsDigests, exactRedirectPortMatching, includeSessionIdInIdTokens } from './internals.ts';
import { createIntrospectionAnswer, opaqueTokenBits, withGrantReference } from './introspection.ts';
import { revokeGrantsOnLogout } from './logout-revocation.ts';
import { answeredError, reportOAuthErrors } from './oauth-errors.ts';
import { createOutboundFetch } from './outbound-fetch.ts';
import { registerRefreshTokenGrant } from './refresh-token-grant.ts';
import { createResourceServerCallbacks } from './resource-servers.ts';
import { revocationAnswersWithoutContentType } from './revocation-response.ts';
import { storeOutageAnswers, storeOutageIn } from './store-outage.ts';
import { exchangeTokenClaims, registerTokenExchangeGrant } from './token-exchange-grant.ts';

export interface ProviderDeps {
  config: Config;
  cookieKeys: readonly string[];
  privateJwks: JWK[];
  storage: OidcStorage;
  accounts: AccountService;
  /** The `idp` claim of a federated sign-in (federation/). */
  idpOf?: (accountId: string) => Promise<string | undefined>;
  apis: ApiService;
  rbac: RbacService;
  /** Checks a client secret imported from django-oauth-toolkit and re-stores it as a digest. */
  importedClientSecrets?: { accept(clientId: string, stored: string, presented: string): Promise<boolean> };
  audit: AuditTrail;
  /** Budgets of wrong user codes on /device (device-flow.ts). */
  security: Pick<SecurityService, 'retryAfter' | 'penalize'>;
  views: Views;
  logger: Logger;
  clock: Clock;
  /** Counts an OAuth error answer (gatehouse_oauth_errors_total). */
  countOAuthError?: (endpoint: string, error: string) => void;
}

export const INTERACTION_PATH = '/interaction';
/** oidc-provider's authorization route (its default). */
const AUTHORIZATION_PATH = '/auth';
const END_SESSION_PATH = '/session/end';
/** Client authentication, the same at the token, introspection, revocation and PAR endpoints. */
const CLIENT_AUTH_SIGNING_ALGS: Array<'RS256' | 'PS256' | 'ES256' | 'EdDSA'> = ['RS256', 'PS256', 'ES256', 'EdDSA'];

export function createProvider(deps: ProviderDeps): Provider {
  const { config, views, logger } = deps;
  const { ttl } = config;
  const resourceServers = createResourceServerCallbacks({ apis: deps.apis, defaultAccessTokenTtl: ttl.accessToken });
  const cookie = { httpOnly: true, sameSite: 'lax', secure: config.production } as const;
  // `__Host-` binds the session cookie to this exact origin (no Domain, path /, Secure).
  const sessionCookieName = config.production ? '__Host-gatehouse.session' : 'gatehouse.session';
  const deviceFlow = {
    issuer: config.issuer,
    pollIntervalSeconds: config.deviceFlow.pollInterval,
    sessionCookieName,
    views,
    audit: deps.audit,
    accounts: deps.accounts,
    security: deps.security,
    oidcModels: deps.storage.oidcModels,
    logger,
  };
  // oidc-provider's error pages (/auth, /session/end …) go through the same map as ours (http/errors.ts):
  // a title and a plain sentence in the page's language; its developer text collapsed and logged.
  const renderErrorPage = (ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }, error?: Error) => {
    const requestId = String(ctx.res.getHeader('x-request-id') ?? '');
    const detail = (error as { error_detail?: unknown } | undefined)?.error_detail;
    const developerDetail = `${out.error}${out.error_description ? `: ${out.error_description}` : ''}${typeof detail === 'string' ? ` (${detail})` : ''}`;
    if (ctx.status < 500) logger.info({ requestId, path: ctx.path, status: ctx.status, error: out.error, error_description: out.error_description, error_detail: detail }, 'error page shown');
    ctx.type = 'html';
    ctx.body = errorPageHtml(views, localeOf(ctx), {
      kind: errorKind({ status: ctx.status, code: out.error, message: out.error_description }),
      developerDetail: ctx.status === 503 ? undefined : developerDetail,
      requestId,
    });
  };

  const configuration: Configuration = {
    adapter: createAdapterFactory(deps.storage),
    findAccount: createFindAccount(deps.accounts, deps.idpOf),
    // Which upstream identity provider to use, without the login page (federation; Keycloak's name too).
    extraParams: ['idp_hint', 'kc_idp_hint'],
    jwks: { keys: deps.privateJwks as never },
    cookies: {
      keys: [...deps.cookieKeys],
      long: cookie,
      short: cookie,
      names: { session: sessionCookieName },
    },
    // acr and amr are standalone claims (null): the ID token carries how the user signed in (RFC 8176).
    claims: { ...CLAIMS_BY_SCOPE, offline_access: [], acr: null, amr: null } as never,
    scopes: ['openid', 'offline_access', 'email', 'profile'],
    acrValues: [PASSWORD_ACR, MFA_ACR, PHISHING_RESISTANT_ACR],
    responseTypes: ['code'],
    // RFC 9700 §2.1.1: PKCE for every client by default; `public` relaxes it for confidential ones.
    pkce: {
      required: (_ctx, client) => config.pkceRequired === 'all' || client.clientAuthMethod === 'none',
    },
    // Exact redirect URI matching, always present (RFC 9700 §4.1.3).
    allowOmittingSingleRegisteredRedirectUri: false,
    // Bearer tokens only in headers or bodies (RFC 6750 §5.3, RFC 9700 §4.3.2).
    acceptQueryParamAccessTokens: false,
    clientBasedCORS: (_ctx, origin, client) => corsOriginAllowed(origin, metadataOf(client)),
    clientAuthMethods: [...AUTH_METHODS],
    extraClientMetadata: {
      properties: [...Object.keys(EXTRA_CLIENT_METADATA)],
      validator(_ctx, key, value) {
        const problem = EXTRA_CLIENT_METADATA[key as keyof typeof EXTRA_CLIENT_METADATA]?.(value);
        if (value !== undefined && problem) throw new TypeError(`${key} ${problem}`);
      },
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // RFC 9449: a client proving a key gets tokens bound to it (`cnf.jkt`, token_type DPoP);
      // one registered with `dpop_bound_access_tokens` must always prove one. Proof replay is
      // refused across instances (ReplayDetection lives in the shared ephemeral store).
      dPoP: { enabled: true, allowReplay: false },
      // RFC 9126: decided on, not required: a client may push its request (parameters off the
      // URL, authenticated, 60 s, single use); plain GET/POST requests keep working.
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false, allowUnregisteredRedirectUris: false },
      // RFC 7662: a client learns about its own tokens, an API about tokens for it (introspection.ts answers).
      introspection: { enabled: true },
      // RFC 9701: with `Accept: application/token-introspection+jwt`, the answer is signed (an API's
      // credentials sign with its algorithm, apis/credentials.ts); JSON otherwise.
      jwtIntrospection: { enabled: true },
      // RFC 7009 §2.1: a client may only revoke its own tokens.
      revocation: { enabled: true, allowedPolicy: async (ctx, client, token) => ownToken(ctx, client, token) },
      userinfo: { enabled: true },
      // RFC 8628 for CLIs without a browser callback: /device pages, user-code budgets, slow_down (device-flow.ts).
      deviceFlow: deviceFlowFeature(deviceFlow),
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          ctx.type = 'html';
          ctx.body = views.render('logout', {
            locale: localeOf(ctx),
            form,
            clientName: ctx.oidc.client?.clientName,
            autoSubmit: hintFromThisSession(ctx),
          });
        },
        async postLogoutSuccessSource(ctx) {
          ctx.type = 'html';
          ctx.body = views.render('logged-out', { locale: localeOf(ctx) });
        },
      },
      // OIDC Back-Channel Logout 1.0: signed logout tokens to every client of an ended session.
      backchannelLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: resourceServers.defaultResource as never,
        getResourceServerInfo: resourceServers.getResourceServerInfo as never,
        useGrantedResource: async () => false,
      },
    },
    // One grant (and refresh-token family) per device; consent remembered across devices (first-party.ts).
    loadExistingGrant: createLoadExistingGrant({
      newestGrantIdFor: async (accountId, clientId) =>
        (await deps.storage.payloads.grantsForAccount(accountId, deps.clock.now())).filter((grant) => grant.clientId === clientId).at(-1)?.grantId,
    }) as never,
    // Access tokens for an API carry only the claims it lists, never PII (access-token-claims.ts).
    // Exchanged tokens (token-exchange-grant.ts) also carry `act` and the subject token's acr/amr.
    // A user's JWT access token names its grant, so introspection sees the grant revoked (introspection.ts).
    extraTokenClaims: withGrantReference(exchangeTokenClaims(createAccessTokenClaims({ apis: deps.apis, rbac: deps.rbac, allowList: config.accessTokenClaims }) as never) as never) as never,
    // Each opaque token kind has its own length, so introspection knows where to look for one (introspection.ts).
    formats: { bitsOfOpaqueRandomness: (_ctx, token) => opaqueTokenBits(token.kind) },
    // Refresh tokens rotate on every use; see refresh-token-grant.ts for the race-safe fork.
    rotateRefreshToken: true,
    ttl: {
      // A token for an API lives as that API says (resource-servers.ts, already shortened by the client's own).
      AccessToken: (_ctx, token, client) => apiLifetime(token) ?? clientLifetime(client, 'access_token_ttl', ttl.accessToken),
      ClientCredentials: (_ctx, token, client) => apiLifetime(token) ?? clientLifetime(client, 'access_token_ttl', ttl.accessToken),
      AuthorizationCode: ttl.authorizationCode,
      DeviceCode: config.deviceFlow.codeTtl,
      IdToken: ttl.idToken,
      Interaction: ttl.interaction,
      Session: ttl.session,
      Grant: ttl.refreshToken,
      // Absolute lifetime: counted from the first refresh token of the family (`iiat`), so
      // rotation never extends a sign-in beyond GATEHOUSE_REFRESH_TOKEN_TTL.
      RefreshToken: (_ctx, token, client) => {
        const lifetime = clientLifetime(client, 'refresh_token_ttl', ttl.refreshToken);
        const issuedAt = (token as { iiat?: number }).iiat;
        const now = Math.floor(Date.now() / 1000);
        return issuedAt ? Math.max(1, issuedAt + lifetime - now) : lifetime;
      },
    },
    interactions: {
      url: (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}`,
      policy: createInteractionPolicy({
        sessions: deps.storage.sessions,
        clock: deps.clock,
        idleTimeoutSeconds: ttl.sessionIdle,
        sessionTtlSeconds: ttl.session,
      }),
    },
    discovery: {
      // RFC 7591 §3 / RFC 8414: our own /register (registration-api/), advertised only when it is on.
      ...(config.dcr.enabled ? { registration_endpoint: `${config.issuer}/register` } : {}),
      // RFC 8414 §2: without these, strict clients assume client_secret_basic alone works there.
      introspection_endpoint_auth_methods_supported: [...AUTH_METHODS],
      introspection_endpoint_auth_signing_alg_values_supported: CLIENT_AUTH_SIGNING_ALGS,
      revocation_endpoint_auth_methods_supported: [...AUTH_METHODS],
      revocation_endpoint_auth_signing_alg_values_supported: CLIENT_AUTH_SIGNING_ALGS,
      // OIDC Discovery §3: the languages of the pages, for a client choosing `ui_locales`.
      ui_locales_supported: LOCALES.map(languageTag),
    },
    fetch: createOutboundFetch({ allowPrivateNetworks: config.outboundAllowPrivate, attempts: 3, deadlineMs: 5000 }) as never,
    // No `none`, no HS*: only the algorithms Gatehouse keeps rotating keys for.
    enabledJWA: {
      idTokenSigningAlgValues: [...config.keys.algorithms],
      userinfoSigningAlgValues: [...config.keys.algorithms],
      introspectionSigningAlgValues: [...config.keys.algorithms],
      authorizationSigningAlgValues: [...config.keys.algorithms],
      clientAuthSigningAlgValues: CLIENT_AUTH_SIGNING_ALGS,
    },
    async renderError(ctx, out, error) {
      renderErrorPage(ctx, out, error);
    },
  };

  const provider = new Provider(config.issuer, configuration);
  provider.proxy = config.trustProxy;
  // Every pipeline ends here: an address nobody answered, asked for as a page, gets the localized
  // 404 page in the normal layout rather than Koa's plain-text "Not Found".
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.status !== 404 || ctx.body != null || ctx.method !== 'GET' || ctx.accepts('html', 'json') !== 'html') return;
    ctx.status = 404;
    ctx.type = 'html';
    ctx.body = errorPageHtml(views, localeOf(ctx as KoaContextWithOIDC), { kind: 'not_found', requestId: String(ctx.res.getHeader('x-request-id') ?? '') });
  });
  // First, so it is outermost: store outages anywhere inside answer 503 + Retry-After (store-outage.ts).
  provider.use(
    storeOutageAnswers(provider, {
      retryAfterSeconds: STORE_RETRY_AFTER_SECONDS,
      renderPage: (ctx) => renderErrorPage(ctx, { error: 'temporarily_unavailable' }),
      onOutage: (ctx, error) =>
        logger.warn({ err: error, requestId: ctx.res.getHeader('x-request-id'), path: ctx.path }, 'store unavailable: answered 503'),
    }),
  );
  // Keeps the discovery document it answers, for the protocol group to serve (discovery-document.ts).
  provider.use(keepDiscoveryDocument);
  compareClientSecretsAsDigests(provider, deps.clock, deps.importedClientSecrets);
  registerRefreshTokenGrant(provider, {
    storage: deps.storage,
    graceSeconds: config.refreshGraceSeconds,
    clock: deps.clock,
    onReuse: (ctx, details) => {
      securityEvent(logger, 'refresh_token.reused', { ...details, ip: ctx.ip });
      deps.audit.record({
        type: 'refresh_token.reused',
        outcome: 'failure',
        actor: details.clientId,
        ...requestOrigin(ctx),
        details: { grantId: details.grantId, reason: details.reason },
      });
    },
  });
  refuseUngrantableClientCredentialsScopes(provider);
  answerIntrospectionWith(provider, createIntrospectionAnswer(provider, { issuer: config.issuer, privateJwks: deps.privateJwks, algorithms: config.keys.algorithms, clock: deps.clock }));
  // RFC 8693 for service chains; the policy is each API's (apis/token-exchange.ts).
  registerTokenExchangeGrant(provider, { ...deps, issuer: config.issuer, algorithms: config.keys.algorithms, getResourceServerInfo: resourceServers.getResourceServerInfo as never });
  installDeviceFlow(provider, deviceFlow);
  auditProviderEvents(provider, deps.audit);
  // `sid` in every ID token, so logout can tell this session's hint from an old one (hintFromThisSession).
  includeSessionIdInIdTokens(provider);
  // RFC 8252 §7.3's any-port loopback rule, unless the client opted out (exact_redirect_port).
  exactRedirectPortMatching(provider);
  reportOAuthErrors(provider, { logger, count: deps.countOAuthError });
  // OIDC Core §3.1.2.1 POST, answered as the same GET (why: authorization-post.ts).
  // RP-initiated logout by POST too (RP-Initiated Logout §2), answered the same way.
  provider.use(
    authorizationRequestsByPost({
      paths: [AUTHORIZATION_PATH, END_SESSION_PATH],
      bodyLimitBytes: config.bodyLimitBytes,
      refuse: (ctx, status, description) => {
        ctx.status = status;
        renderErrorPage(ctx, { error: 'invalid_request', error_description: description });
      },
    }),
  );
  provider.use(unauthorizedClientForDisallowedGrants);
  provider.use(revocationAnswersWithoutContentType);
  provider.use(revokeGrantsOnLogout(deps.storage));
  provider.on('server_error', (ctx: KoaContextWithOIDC, error: Error) => {
    // Store outages are answered (and logged at warn) by storeOutageAnswers.
    if (storeOutageIn(error)) return;
    logger.error({ err: error, requestId: ctx.res.getHeader('x-request-id'), path: ctx.path }, 'oidc server_error');
  });
  return provider;
}

/** RFC 6749 §5.2: unauthorized_client for a grant type the client is not registered for (see answeredError). */
async function unauthorizedClientForDisallowedGrants(ctx: KoaContextWithOIDC, next: () => Promise<void>) {
  await next();
  const body = ctx.body as { error?: string; error_description?: string } | undefined;
  if (ctx.oidc?.route && body?.error) body.error = answeredError(ctx.oidc.route, body.error, body.error_description);
}

/**
 * The confirmation may be skipped only when the app sent an id_token_hint (oidc-provider has
 * verified its signature and audience) issued in this very browser session: its `sid` is the
 * session's sid for that app. Every ID token carries `sid` (internals.ts,
 * includeSessionIdInIdTokens). A hint without one, or from another session of the same user — an
 * old ID token from a session that has ended, one from another browser, one leaked from an app's
 * logs — proves nothing about this session, so the user is asked (a cross-site page could
 * otherwise sign them out at will).
 */
function hintFromThisSession(ctx: KoaContextWithOIDC): boolean {
  const hint = ctx.oidc.params?.id_token_hint;
  const clientId = ctx.oidc.client?.clientId;
  const session = ctx.oidc.session;
  if (typeof hint !== 'string' || !clientId || !session?.accountId) return false;
  try {
    const { sid } = decodeJwt(hint);
    const sessionSid = session.sidFor(clientId);
    return typeof sid === 'string' && sessionSid !== undefined && sid === sessionSid;
  } catch {
    return false;
  }
}

function localeOf(ctx: KoaContextWithOIDC) {
  const uiLocales = ctx.oidc?.params?.ui_locales;
  return negotiateLocale(typeof uiLocales === 'string' ? uiLocales : undefined, ctx);
}

function ownToken(_ctx: unknown, client: { clientId: string }, token: { clientId?: string }): boolean {
  return token.clientId === client.clientId;
}

/**
 * CORS for browser clients: the client's `allowed_cors_origins` when registered, otherwise the
 * origins of its registered redirect URIs.
 */
function corsOriginAllowed(origin: string, metadata: Record<string, unknown>): boolean {
  const allowed = metadata.allowed_cors_origins as string[] | undefined;
  if (allowed) return allowed.includes(origin);
  const uris = [...((metadata.redirect_uris as string[]) ?? []), ...((metadata.post_logout_redirect_uris as string[]) ?? [])];
  return uris.some((uri) => {
    try {
      return new URL(uri).origin === origin;
    } catch {
      return false;
    }
  });
}

const apiLifetime = (token: unknown) => (token as { resourceServer?: { accessTokenTTL?: number } }).resourceServer?.accessTokenTTL;

/** A client's own lifetime may only shorten the server-wide one. */
function clientLifetime(client: ClientLike | undefined, key: 'access_token_ttl' | 'refresh_token_ttl', serverWide: number): number {
  const own = client ? metadataOf(client)[key] : undefined;
  return typeof own === 'number' ? Math.min(own, serverWide) : serverWide;
}

const booleanValue = (value: unknown) => (typeof value === 'boolean' ? undefined : 'must be a boolean');
const stringArray = (value: unknown) =>
  Array.isArray(value) && value.every((entry) => typeof entry === 'string') ? undefined : 'must be an array of strings';
const positiveInteger = (value: unknown) => (Number.isInteger(value) && (value as number) > 0 ? undefined : 'must be a positive integer');

/**
 * Client metadata beyond the OAuth/OIDC registries, each with its check. The clients module
 * builds these values; the checks keep oidc-provider from ever loading a malformed record.
 */
const EXTRA_CLIENT_METADATA = {
  /** The APIs this client may get tokens for, and its scopes there. */
  resources: stringArray,
  resource_scopes: stringArray,
  /** An API's introspection credentials (apis/credentials.ts): the API whose tokens it may introspect. */
  introspects_for_api: (value: unknown) => (typeof value === 'string' ? undefined : 'must be a string'),
  /** See logout-revocation.ts. */
  keep_offline_access_on_logout: booleanValue,
  first_party: booleanValue,
  require_mfa: booleanValue,
  require_passkey: booleanValue,
  allow_unverified_email: booleanValue,
  allowed_cors_origins: stringArray,
  /** Loopback redirect URIs match on their port too (internals.ts, exactRedirectPortMatching). */
  exact_redirect_port: booleanValue,
  access_token_ttl: positiveInteger,
  refresh_token_ttl: positiveInteger,
  /** Secrets replaced by rotation, accepted until they expire (clients/client-secret.ts). */
  previous_client_secrets: (value: unknown) =>
    Array.isArray(value) &&
    value.every((entry) => typeof entry?.digest === 'string' && Number.isInteger(entry?.expires_at))
      ? undefined
      : 'must be a list of { digest, expires_at }',
} satisfies Record<string, (value: unknown) => string | undefined>;
