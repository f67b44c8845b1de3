/**
 * The relying-party side of federation, over openid-client (panva's certified RP library): never
 * hand-rolled. Discovery, the authorization URL (code flow, PKCE S256, state, nonce), the code
 * exchange with ID-token validation — iss, aud, exp, nonce, and the signature against the
 * upstream's JWKS (`enableNonRepudiationChecks`; the JWKS is cached inside each Configuration) —
 * and RFC 9207's `iss` response parameter, checked whenever the upstream sends it.
 *
 * One Configuration per provider record is kept for CACHE_TTL_MS (discovery and JWKS are fetched
 * once, not per sign-in); a record change (its `version`) or a failure starts afresh.
 */

import { createHash } from 'node:crypto';
import { importJWK } from 'jose';
import type * as Oidc from 'openid-client';
import { GatehouseError } from '../errors.ts';
import { lazyImport } from '../lazy-import.ts';

const CACHE_TTL_MS = 10 * 60 * 1000;
const TIMEOUT_SECONDS = 10;

/** What the client needs of a provider record (secrets already unsealed). */
export interface UpstreamEndpoints {
  name: string;
  protocol: 'oidc' | 'oauth2';
  issuer: string;
  authorizationEndpoint: string | null;
  tokenEndpoint: string | null;
  userinfoEndpoint: string | null;
  clientId: string;
  clientAuth: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  scopes: readonly string[];
  /** Changes whenever the record changes (a cached Configuration of an older version is dropped). */
  version: string;
  secret(): Promise<string | undefined>;
  privateKey(): Promise<Record<string, unknown> | undefined>;
}

/** The upstream could not be reached, or answered with a server error: try again later. */
export class UpstreamUnavailable extends GatehouseError {
  constructor(provider: string, options?: ErrorOptions) {
    super('unavailable', `the identity provider ${provider} is unavailable`, options);
  }
}

/** The upstream's answer was refused; `reason` names the check (for the page and the audit trail). */
export class UpstreamRejected extends Error {
  readonly reason: 'upstream_error' | 'invalid_response';
  readonly detail: string;
  constructor(reason: 'upstream_error' | 'invalid_response', detail: string) {
    super(detail);
    this.reason = reason;
    this.detail = detail.slice(0, 300);
  }
}

export interface Transaction {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** openid-client, loaded at the first upstream sign-in (resident memory of a server without federation). */
const loadOpenidClient = lazyImport(() => import('openid-client'));

export async function newTransaction(): Promise<Transaction> {
  const oidc = await loadOpenidClient();
  return { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier: oidc.randomPKCECodeVerifier() };
}

export function createUpstreamClient(options: { allowInsecureHttp: boolean }) {
  const cache = new Map<string, { version: string; expires: number; config: Promise<Oidc.Configuration> }>();

  async function clientAuth(endpoints: UpstreamEndpoints): Promise<Oidc.ClientAuth> {
    const oidc = await loadOpenidClient();
    if (endpoints.clientAuth === 'private_key_jwt') {
      const jwk = await endpoints.privateKey();
      if (!jwk) throw new UpstreamRejected('invalid_response', 'no private key is configured for private_key_jwt');
      const key = (await importJWK(jwk as Parameters<typeof importJWK>[0], typeof jwk.alg === 'string' ? jwk.alg : 'RS256')) as Oidc.CryptoKey;
      return oidc.PrivateKeyJwt({ key, kid: typeof jwk.kid === 'string' ? jwk.kid : undefined });
    }
    const secret = await endpoints.secret();
    return endpoints.clientAuth === 'client_secret_post' ? oidc.ClientSecretPost(secret) : oidc.ClientSecretBasic(secret);
  }

  async function build(endpoints: UpstreamEndpoints): Promise<Oidc.Configuration> {
    const auth = await clientAuth(endpoints);
    const oidc = await loadOpenidClient();
    const execute = options.allowInsecureHttp ? [oidc.allowInsecureRequests] : [];
    let config: Oidc.Configuration;
    if (endpoints.protocol === 'oauth2') {
      config = new oidc.Configuration(
        {
          issuer: endpoints.issuer,
          authorization_endpoint: endpoints.authorizationEndpoint ?? undefined,
          token_endpoint: endpoints.tokenEndpoint ?? undefined,
          userinfo_endpoint: endpoints.userinfoEndpoint ?? undefined,
        },
        endpoints.clientId,
        undefined,
        auth,
      );
      for (const step of execute) step(config);
    } else {
      try {
        config = await oidc.discovery(new URL(endpoints.issuer), endpoints.clientId, undefined, auth, { execute, timeout: TIMEOUT_SECONDS });
      } catch (error) {
        throw new UpstreamUnavailable(endpoints.name, { cause: error });
      }
      // The ID token's signature is checked against the upstream's JWKS, even from the token endpoint.
      oidc.enableNonRepudiationChecks(config);
    }
    config.timeout = TIMEOUT_SECONDS;
    return config;
  }

  function configurationOf(endpoints: UpstreamEndpoints): Promise<Oidc.Configuration> {
    const cached = cache.get(endpoints.name);
    if (cached && cached.version === endpoints.version && cached.expires > Date.now()) return cached.config;
    const config = build(endpoints);
    cache.set(endpoints.name, { version: endpoints.version, expires: Date.now() + CACHE_TTL_MS, config });
    config.catch(() => cache.delete(endpoints.name));
    return config;
  }

  return {
    /** Where to send the browser: the upstream's authorization endpoint with this transaction. */
    async authorizationUrl(endpoints: UpstreamEndpoints, input: { redirectUri: string; transaction: Transaction; loginHint?: string | undefined; prompt?: string | undefined }): Promise<URL> {
      const [config, oidc] = await Promise.all([configurationOf(endpoints), loadOpenidClient()]);
      const parameters: Record<string, string> = {
        redirect_uri: input.redirectUri,
        scope: endpoints.scopes.join(' '),
        response_type: 'code',
        state: input.transaction.state,
        code_challenge: await oidc.calculatePKCECodeChallenge(input.transaction.codeVerifier),
        code_challenge_method: 'S256',
      };
      if (endpoints.protocol === 'oidc') parameters.nonce = input.transaction.nonce;
      if (input.loginHint) parameters.login_hint = input.loginHint;
      if (input.prompt) parameters.prompt = input.prompt;
      return oidc.buildAuthorizationUrl(config, parameters);
    },

    /**
     * The callback: the authorization response checked (state, RFC 9207 iss, error), the code
     * redeemed with the PKCE verifier, the ID token validated; the claims of the ID token (with
     * userinfo for plain OAuth 2).
     */
    async exchange(endpoints: UpstreamEndpoints, input: { callbackUrl: URL; transaction: Transaction }): Promise<Record<string, unknown>> {
      const [config, oidc] = await Promise.all([configurationOf(endpoints), loadOpenidClient()]);
      try {
        const tokens = await oidc.authorizationCodeGrant(config, input.callbackUrl, {
          pkceCodeVerifier: input.transaction.codeVerifier,
          expectedState: input.transaction.state,
          ...(endpoints.protocol === 'oidc' ? { expectedNonce: input.transaction.nonce, idTokenExpected: true } : {}),
        });
        if (endpoints.protocol === 'oidc') return { ...(tokens.claims() ?? {}) };
        const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck);
        return { ...userinfo, sub: String((userinfo as Record<string, unknown>).sub ?? (userinfo as Record<string, unknown>).id ?? '') };
      } catch (error) {
        throw classify(endpoints.name, error, oidc);
      }
    },
  };
}

/** An upstream failure: unreachable (try again) or a refused answer, with what was wrong. */
function classify(provider: string, error: unknown, oidc: typeof Oidc): Error {
  if (error instanceof UpstreamRejected || error instanceof UpstreamUnavailable) return error;
  if (error instanceof oidc.AuthorizationResponseError) return new UpstreamRejected('upstream_error', `${error.error}${error.error_description ? `: ${error.error_description}` : ''}`);
  if (error instanceof oidc.ResponseBodyError) {
    if (error.status >= 500) return new UpstreamUnavailable(provider, { cause: error });
    return new UpstreamRejected('upstream_error', `${error.error}${error.error_description ? `: ${error.error_description}` : ''}`);
  }
  const cause = (error as { cause?: unknown }).cause;
  if (error instanceof TypeError || (error as { name?: string }).name === 'TimeoutError' || (error as { name?: string }).name === 'AbortError' || cause instanceof TypeError) {
    if (!(error as { code?: string }).code?.startsWith('OAUTH_')) return new UpstreamUnavailable(provider, { cause: error });
  }
  return new UpstreamRejected('invalid_response', describe(error));
}

/** What openid-client found wrong, in one line: its code, message and the check's own details (the claim, the key). */
function describe(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 3 && current && typeof current === 'object'; depth += 1) {
    const { code, message, claim, reason } = current as { code?: unknown; message?: unknown; claim?: unknown; reason?: unknown };
    for (const part of [code, message, claim ? `claim ${claim}` : undefined, reason]) if (typeof part === 'string' && part && !parts.includes(part)) parts.push(part);
    current = (current as { cause?: unknown }).cause;
  }
  return parts.join(': ') || 'invalid response';
}

/** A version string of a record's protocol-relevant fields. */
export const versionOf = (fields: unknown) => createHash('sha256').update(JSON.stringify(fields)).digest('base64url').slice(0, 16);
