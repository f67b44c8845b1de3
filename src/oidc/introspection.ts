/**
 * RFC 7662 token introspection for resource servers and for clients, behind oidc-provider's own
 * client authentication (the steps this replaces: internals.ts, forkIntrospectionSteps).
 *
 * Who may learn about a token:
 * - an API, authenticated with its own credentials (apis/credentials.ts), about every access
 *   token whose audience is that API, JWT or opaque;
 * - a client about the tokens issued to it (RFC 7662 §4, as before).
 * Everyone else, and every token that is unknown, expired, revoked or malformed, gets
 * `{"active": false}` (§2.2): the answer never tells which.
 *
 * How a token is found (issue 17.2): once, by its shape. A JWT is verified locally with the
 * current signing keys (a revoked key has left them), its grant looked up so a revoked grant or
 * an everywhere-logout ends it at once; an opaque token is looked up where its hint and its length
 * say it lives, and elsewhere only when it is not there (RFC 7662 §2.1: the hint is only a hint).
 */
import { decodeProtectedHeader, type JWK } from 'jose';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Clock } from '../clock.ts';
import { accessTokenVerifier, GRANT_CLAIM } from './access-token-jwt.ts';
import { metadataOf } from './client-metadata-of.ts';

/**
 * Bits of randomness per opaque token kind, all different, so a token's length says which store
 * holds it: access tokens 43 characters, client-credentials tokens 44, refresh tokens 64.
 */
const OPAQUE_TOKEN_BITS = { AccessToken: 256, ClientCredentials: 264, RefreshToken: 384 } as const;
type OpaqueKind = keyof typeof OPAQUE_TOKEN_BITS;
const OPAQUE_KINDS = Object.keys(OPAQUE_TOKEN_BITS) as OpaqueKind[];
const KIND_BY_LENGTH = new Map(OPAQUE_KINDS.map((kind) => [Math.ceil(OPAQUE_TOKEN_BITS[kind] / 6), kind]));
const HINTED_KINDS: Record<string, readonly OpaqueKind[]> = { access_token: ['AccessToken', 'ClientCredentials'], refresh_token: ['RefreshToken'] };

/** `formats.bitsOfOpaqueRandomness`: oidc-provider's 256 bits, a little more for the kinds introspection tells apart by length. */
export function opaqueTokenBits(kind: string): number {
  return OPAQUE_TOKEN_BITS[kind as OpaqueKind] ?? 256;
}

/**
 * Where to look for an opaque token, in order: the kind its length says, unless the caller's hint
 * names another (a token issued before the lengths differed); then the hinted kinds; the rest
 * only when it is not found there (RFC 7662 §2.1: the hint is only a hint).
 */
export function lookupOrder(value: string, hint: 'access_token' | 'refresh_token' | undefined): { first: OpaqueKind[]; rest: OpaqueKind[] } {
  const byShape = KIND_BY_LENGTH.get(value.length);
  const hinted = hint ? HINTED_KINDS[hint]! : [];
  const first: OpaqueKind[] = byShape && (hinted.length === 0 || hinted.includes(byShape)) ? [byShape] : hinted.length > 0 ? [...hinted] : ['AccessToken'];
  return { first, rest: OPAQUE_KINDS.filter((kind) => !first.includes(kind)) };
}

const MAX_TOKEN_LENGTH = 16_384;

// biome-ignore lint/suspicious/noExplicitAny: oidc-provider's token models are untyped internals
type AnyModel = any;
type Answer = Record<string, unknown> & { active: boolean };
const INACTIVE = (): Answer => ({ active: false });

export interface IntrospectionDeps {
  issuer: string;
  /** The provider's private signing keys: their public halves verify JWT access tokens. */
  privateJwks: readonly JWK[];
  algorithms: readonly string[];
  clock: Clock;
}

/** Who is asking: an API (by its identifier) or a client (by its id). */
interface Caller {
  clientId: string;
  api: string | undefined;
}

export function createIntrospectionAnswer(provider: Provider, deps: IntrospectionDeps) {
  const verifyAccessToken = accessTokenVerifier(provider, deps);
  const models = provider as AnyModel;

  async function describeJwt(value: string, caller: Caller): Promise<Answer> {
    const checked = await verifyAccessToken(value);
    if (!checked.valid) return INACTIVE();
    const { claims } = checked;
    if (!allowed(caller, String(claims.client_id), claims.aud)) return INACTIVE();
    const { [GRANT_CLAIM]: _grant, ...described } = claims;
    const bound = (claims.cnf as { jkt?: string } | undefined)?.jkt !== undefined;
    return { ...described, active: true, token_type: bound ? 'DPoP' : 'Bearer' };
  }

  /** One lookup where the token's shape (or hint) says it lives; the other stores, together, only on a miss. */
  async function findOpaque(value: string, hint: 'access_token' | 'refresh_token' | undefined): Promise<AnyModel | undefined> {
    const { first, rest } = lookupOrder(value, hint);
    const findIn = async (kinds: OpaqueKind[]) => (await Promise.all(kinds.map((kind) => models[kind].find(value)))).find(Boolean);
    return (await findIn(first)) ?? (await findIn(rest));
  }

  async function describeOpaque(value: string, hint: 'access_token' | 'refresh_token' | undefined, caller: Caller): Promise<Answer> {
    const token = await findOpaque(value, hint);
    if (!token?.isValid || !['AccessToken', 'ClientCredentials', 'RefreshToken'].includes(token.kind)) return INACTIVE();
    // A refresh token has no audience: only its client may ask about it.
    if (!allowed(caller, token.clientId, token.kind === 'RefreshToken' ? undefined : token.aud)) return INACTIVE();
    if (token.grantId) {
      const grant = await models.Grant.find(token.grantId, { ignoreExpiration: true });
      const exchanged = token.gty === 'token_exchange';
      if (!grant || grant.isExpired || (!exchanged && grant.clientId !== token.clientId) || grant.accountId !== token.accountId) return INACTIVE();
    }
    return {
      ...token.extra,
      active: true,
      // A service's own token names the service, as its JWT form does (RFC 9068 §2.2).
      ...(token.accountId ? { sub: token.accountId } : token.kind === 'ClientCredentials' ? { sub: token.clientId } : {}),
      client_id: token.clientId,
      exp: token.exp,
      iat: token.iat,
      ...(token.sid ? { sid: token.sid } : {}),
      iss: deps.issuer,
      ...(token.aud ? { aud: token.aud } : {}),
      ...(token.scope ? { scope: token.scope } : {}),
      ...(token.jkt ? { cnf: { jkt: token.jkt } } : {}),
      ...(token.kind !== 'RefreshToken' ? { token_type: token.tokenType } : {}),
    };
  }

  return async function answerIntrospection(ctx: KoaContextWithOIDC): Promise<void> {
    const { token: value, token_type_hint: rawHint } = ctx.oidc.params as { token?: unknown; token_type_hint?: unknown };
    const client = ctx.oidc.client!;
    const api = metadataOf(client).introspects_for_api;
    const caller: Caller = { clientId: client.clientId, api: typeof api === 'string' ? api : undefined };
    ctx.body = INACTIVE();
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_TOKEN_LENGTH) return;
    const hint = normalizedHint(rawHint);
    ctx.body = isJwt(value) ? await describeJwt(value, caller) : await describeOpaque(value, hint, caller);
  };
}

/**
 * An API may learn about tokens for itself (its identifier in `aud`), a client about its own.
 * An API's credentials are never a client: no token is ever issued to them.
 */
function allowed(caller: Caller, tokenClientId: string, audience: unknown): boolean {
  if (caller.api === undefined) return tokenClientId === caller.clientId;
  const audiences = Array.isArray(audience) ? audience : [audience];
  return audiences.includes(caller.api);
}

function isJwt(value: string): boolean {
  if (value.split('.').length !== 3) return false;
  try {
    return Boolean(decodeProtectedHeader(value));
  } catch {
    return false;
  }
}

/** RFC 7662 §2.1 hints and their RFC 8693 URN forms; anything else is no hint at all. */
function normalizedHint(hint: unknown): 'access_token' | 'refresh_token' | undefined {
  switch (hint) {
    case 'access_token':
    case 'urn:ietf:params:oauth:token-type:access_token':
      return 'access_token';
    case 'refresh_token':
    case 'urn:ietf:params:oauth:token-type:refresh_token':
      return 'refresh_token';
    default:
      return undefined;
  }
}

/**
 * `extraTokenClaims` wrapper: a user's JWT access token names its grant, so introspection can
 * answer `active: false` once the grant is revoked (by the user, an admin, an everywhere-logout
 * or a key compromise). The grant id is no credential: nothing can be done with it alone.
 */
export function withGrantReference<T extends (ctx: KoaContextWithOIDC, token: object) => Promise<Record<string, unknown> | undefined>>(base: T) {
  return async (ctx: KoaContextWithOIDC, token: object): Promise<Record<string, unknown> | undefined> => {
    const own = await base(ctx, token);
    const issued = token as { grantId?: string; resourceServer?: { accessTokenFormat?: string } };
    if (!issued.grantId || issued.resourceServer?.accessTokenFormat !== 'jwt') return own;
    return { ...own, [GRANT_CLAIM]: issued.grantId };
  };
}
