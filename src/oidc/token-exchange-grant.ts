/**
 * RFC 8693 token exchange for service chains, registered with oidc-provider's `registerGrantType`.
 *
 * Service A calls B with a user's token (`aud` B, `client_id` A); B, authenticated as its own
 * client, trades it for a token for C: `sub` the user, `client_id` B, `act: { sub: A }` (delegation),
 * `aud` C only, scopes narrowed. The policy is the source API's (apis/token-exchange.ts, pure);
 * this file reads the subject token, asks the policy, and issues the token with oidc-provider's own
 * models (an AccessToken with the target's resource server), so formats, lifetimes, claims, DPoP
 * binding and storage follow the rest of the server.
 *
 * Refusals follow RFC 8693 §2.2.2: `invalid_request` for a subject token that is invalid or not
 * exchangeable, `invalid_target` for a target the policy or the client's registration does not
 * allow, `invalid_scope` for scopes beyond what is allowed. Every exchange and refusal is audited.
 */
import type { JWK } from 'jose';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { errors } from 'oidc-provider';
import { type ApiService, decideTokenExchange } from '../apis/index.ts';
import type { AuditTrail } from '../audit/index.ts';
import { TOKEN_EXCHANGE_GRANT } from '../clients/index.ts';
import type { Clock } from '../clock.ts';
import { type AccessTokenVerifier, accessTokenVerifier, GRANT_CLAIM } from './access-token-jwt.ts';
import type { ClientLike } from './client-metadata-of.ts';
import { boundGrantHelpers, internals } from './internals.ts';

export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const PARAMETERS = ['audience', 'resource', 'scope', 'requested_token_type', 'subject_token', 'subject_token_type', 'actor_token', 'actor_token_type'];

// biome-ignore lint/suspicious/noExplicitAny: oidc-provider's token models are untyped internals
type AnyModel = any;

export interface TokenExchangeDeps {
  apis: ApiService;
  issuer: string;
  /** The provider's private signing keys: their public halves verify JWT subject tokens. */
  privateJwks: readonly JWK[];
  algorithms: readonly string[];
  getResourceServerInfo: (ctx: KoaContextWithOIDC, resource: string, client: ClientLike) => Promise<unknown>;
  audit: AuditTrail;
  clock: Clock;
}

/** What an exchange needs to know about the subject token, whichever its format. */
interface SubjectToken {
  accountId?: string;
  clientId: string;
  audience?: string;
  scopes: string[];
  expiresAt: number;
  grantId?: string;
  /** Claims carried over: the chain so far and how the user signed in. */
  act?: unknown;
  signedIn: Record<string, unknown>;
}

/** Claims for tokens this grant issues, read by `exchangeTokenClaims` when the token is formatted. */
const exchangeClaims = new WeakMap<object, Record<string, unknown>>();

/** Wraps `extraTokenClaims`: an exchanged token also carries `act` and the subject's acr/amr/auth_time. */
export function exchangeTokenClaims<T extends (ctx: KoaContextWithOIDC, token: object) => Promise<Record<string, unknown> | undefined>>(base: T) {
  return async (ctx: KoaContextWithOIDC, token: object): Promise<Record<string, unknown> | undefined> => {
    const own = await base(ctx, token);
    const exchanged = exchangeClaims.get(token);
    return exchanged ? { ...own, ...exchanged } : own;
  };
}

export function registerTokenExchangeGrant(provider: Provider, deps: TokenExchangeDeps): void {
  const helpers = boundGrantHelpers(provider);
  const verifyAccessToken = accessTokenVerifier(provider, deps);
  provider.registerGrantType(
    TOKEN_EXCHANGE_GRANT,
    async (ctx: KoaContextWithOIDC) => {
      try {
        await exchange(provider, helpers, deps, verifyAccessToken, ctx);
      } catch (error) {
        const failure = error as { error?: string; error_description?: string; error_detail?: string };
        deps.audit.record({
          type: 'token.exchange_refused',
          outcome: 'failure',
          ...origin(ctx),
          details: { error: failure.error ?? 'server_error', reason: failure.error_detail ?? failure.error_description, target: targetsOf(ctx).join(' ') },
        });
        throw error;
      }
    },
    new Set(PARAMETERS),
    new Set(['audience', 'resource']),
  );
}

const origin = (ctx: KoaContextWithOIDC) => ({
  actor: ctx.oidc.client?.clientId,
  ip: ctx.ip,
  userAgent: ctx.get('user-agent') || undefined,
  requestId: (ctx.res.getHeader('x-request-id') as string | undefined) ?? undefined,
});

const asList = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : typeof value === 'string' ? [value] : []);
const targetsOf = (ctx: KoaContextWithOIDC) => [...new Set([...asList(ctx.oidc.params?.resource), ...asList(ctx.oidc.params?.audience)])];

/** `error_detail` keeps the real reason for the log (oauth-errors.ts); the client sees the description. */
function refusal<E extends new (description: string) => Error>(ErrorClass: E, description: string, detail?: string): Error {
  const error = new ErrorClass(description) as Error & { error_detail?: string };
  if (detail) error.error_detail = detail;
  return error;
}

async function exchange(
  provider: Provider,
  // biome-ignore lint/suspicious/noExplicitAny: bound upstream helpers
  helpers: Record<string, any>,
  deps: TokenExchangeDeps,
  verifyAccessToken: AccessTokenVerifier,
  ctx: KoaContextWithOIDC,
): Promise<void> {
  const params = ctx.oidc.params as Record<string, unknown>;
  internals.presence(ctx, 'subject_token', 'subject_token_type');
  if (params.subject_token_type !== ACCESS_TOKEN_TYPE) {
    throw new errors.InvalidRequest(`subject_token_type must be ${ACCESS_TOKEN_TYPE} (a Gatehouse access token)`);
  }
  if (params.actor_token !== undefined || params.actor_token_type !== undefined) {
    throw new errors.InvalidRequest('actor_token is not supported: the authenticated client is the actor');
  }
  if (params.requested_token_type !== undefined && params.requested_token_type !== ACCESS_TOKEN_TYPE) {
    throw new errors.InvalidRequest(`requested_token_type must be ${ACCESS_TOKEN_TYPE}: only access tokens are issued`);
  }
  const targets = targetsOf(ctx);
  if (targets.length !== 1) throw new errors.InvalidTarget('name exactly one API (resource or audience) for the new token');
  const target = targets[0]!;
  const client = ctx.oidc.client as AnyModel;
  const dPoP = await helpers.validateDpop(ctx);

  const subject = await readSubjectToken(provider, verifyAccessToken, String(params.subject_token));
  if (!subject.accountId) {
    throw refusal(errors.InvalidRequest, 'the subject token has no user: a service calls other APIs with its own client-credentials token');
  }
  const source = subject.audience ? await deps.apis.find(subject.audience) : undefined;
  if (!source) throw refusal(errors.InvalidRequest, 'the subject token was not issued for a registered API', `audience ${subject.audience ?? 'none'}`);
  const account = await helpers.findAccount(ctx, subject.accountId);
  if (!account) throw refusal(errors.InvalidRequest, 'the user of the subject token no longer exists');

  // The client must be registered for the target (and its scopes there), as for any other grant.
  const info = internals.resourceServer(await deps.getResourceServerInfo(ctx, target, client));
  const resourceServer = new (provider as AnyModel).ResourceServer(target, info);
  const decision = decideTokenExchange({
    rules: source.tokenExchange,
    sourceApi: source.identifier,
    clientId: client.clientId,
    target,
    requestedScopes: typeof params.scope === 'string' ? params.scope.split(' ').filter(Boolean) : undefined,
    targetScopes: [...resourceServer.scopes],
    subject: { clientId: subject.clientId, scopes: subject.scopes, act: subject.act },
  });
  if (!decision.ok) {
    if (decision.error === 'invalid_scope') throw new errors.InvalidScope(decision.reason, String(params.scope ?? ''));
    throw refusal(decision.error === 'invalid_target' ? errors.InvalidTarget : errors.InvalidRequest, decision.reason);
  }

  // Never outlives the subject token: an exchange cannot turn an expiring token into a fresh one.
  const nowSeconds = Math.floor(deps.clock.now().getTime() / 1000);
  const lifetime = Math.min(resourceServer.accessTokenTTL ?? Number.POSITIVE_INFINITY, subject.expiresAt - nowSeconds);
  const token = new (provider as AnyModel).AccessToken({
    accountId: subject.accountId,
    client,
    gty: 'token_exchange',
    scope: decision.scopes.join(' '),
    ...(subject.grantId ? { grantId: subject.grantId } : {}),
  });
  token.resourceServer = resourceServer;
  if (Number.isFinite(lifetime)) token.expiresIn = Math.max(1, lifetime);
  exchangeClaims.set(token, { ...subject.signedIn, ...(decision.act ? { act: decision.act } : {}) });
  await internals.applyDpopBinding(provider, ctx, dPoP, token);
  helpers.checkDpopRequired(ctx, dPoP);

  ctx.oidc.entity('AccessToken', token);
  const value = await token.save();
  deps.audit.record({
    type: 'token.exchanged',
    outcome: 'success',
    ...origin(ctx),
    subject: subject.accountId,
    details: { from: source.identifier, to: target, mode: decision.mode, depth: decision.depth, scope: token.scope, subjectClient: subject.clientId },
  });
  ctx.body = {
    access_token: value,
    issued_token_type: ACCESS_TOKEN_TYPE,
    token_type: token.tokenType,
    expires_in: token.expiration,
    scope: token.scope,
  };
}

const SIGNED_IN_CLAIMS = ['acr', 'amr', 'auth_time'] as const;
const signedInClaims = (claims: Record<string, unknown> | undefined) =>
  Object.fromEntries(SIGNED_IN_CLAIMS.filter((claim) => claims?.[claim] !== undefined).map((claim) => [claim, claims![claim]]));

/**
 * A Gatehouse access token: a JWT verified with the current keys (a revoked key has left them), or
 * an opaque token found through oidc-provider's own model (a revoked or expired one is not found).
 */
async function readSubjectToken(provider: Provider, verifyAccessToken: AccessTokenVerifier, value: string): Promise<SubjectToken> {
  const invalid = (detail: string) => refusal(errors.InvalidRequest, 'subject_token is invalid, expired or revoked', detail);
  if (value.length > 16_384) throw invalid('too long');
  if (value.split('.').length === 3) {
    // The one verification of our JWT access tokens (access-token-jwt.ts): keys, issuer, expiry, grant or client.
    const checked = await verifyAccessToken(value);
    if (!checked.valid) throw invalid(checked.reason);
    const { claims } = checked;
    const audience = Array.isArray(claims.aud) ? (claims.aud.length === 1 ? claims.aud[0] : undefined) : claims.aud;
    const clientId = String(claims.client_id);
    const grantId = claims[GRANT_CLAIM];
    return {
      ...(claims.sub !== clientId ? { accountId: String(claims.sub) } : {}),
      clientId,
      ...(audience ? { audience } : {}),
      scopes: typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [],
      expiresAt: Number(claims.exp),
      act: claims.act,
      // The exchanged token dies with the user's grant, as the subject token does (introspection.ts).
      ...(typeof grantId === 'string' ? { grantId } : {}),
      signedIn: signedInClaims(claims),
    };
  }
  const found: AnyModel = await (provider as AnyModel).AccessToken.find(value);
  if (!found || found.isExpired) throw invalid('opaque: not found');
  return {
    ...(found.accountId ? { accountId: String(found.accountId) } : {}),
    clientId: String(found.clientId),
    ...(typeof found.aud === 'string' ? { audience: found.aud } : {}),
    scopes: String(found.scope ?? '')
      .split(' ')
      .filter(Boolean),
    expiresAt: Number(found.exp),
    ...(found.grantId ? { grantId: String(found.grantId) } : {}),
    act: found.extra?.act,
    signedIn: signedInClaims(found.extra),
  };
}
