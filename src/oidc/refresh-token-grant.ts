/**
 * Fork of oidc-provider 9.13.3 `lib/actions/grants/refresh_token.js` (panva/node-oidc-provider,
 * tag v9.13.3). Deviations, all about rotation under concurrency and failure:
 *
 * 1. Rotation always happens (`rotateRefreshToken` is not consulted): every refresh returns a
 *    new refresh token and consumes the old one.
 * 2. Everything that can fail is done BEFORE the rotation commits: the access token is created
 *    and persisted (Redis, when opaque) or signed (JWT), and the ID token signed. A failure there
 *    answers 503 and leaves the presented token unconsumed, so the client's retry just works.
 * 3. The rotation is ONE storage operation (adapter.rotateRefreshToken → one SQL statement): the
 *    parent consumed only if nobody did, its successor recorded on it (digest + value sealed with
 *    a key derived from the parent, tokens/successor-seal.ts) and the child inserted — all or
 *    nothing. A racing request waits on the parent row's lock, then reads the committed facts.
 * 4. A request that finds the token consumed (or lost the race) gets the facts from storage and
 *    asks the pure rule in tokens/refresh-decision.ts: a replay gets the same successor (opened
 *    with the presented token) and a fresh access token; reuse revokes the whole grant (one
 *    device's family, see oidc/first-party.ts), emits `refresh_token.reused` and answers
 *    invalid_grant. Upstream destroys the presented token on reuse; revoking the grant removes it too.
 * 5. Once the rotation is known to have committed, it is recorded as answered before the 200 is
 *    sent. A rotation never recorded so was answered with a 5xx (its commit was the last thing a
 *    dying database link carried): its parent's retry is honest whatever the grace window.
 * Everything else (client, expiry, mTLS, DPoP, attestation, scope and resource checks, the ID
 * token only when `openid` is in this refresh's scope) follows upstream line by line.
 */

import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { Clock } from '../clock.ts';
import { epochSeconds } from '../clock.ts';
import { decideConsumedRefresh, openSuccessor, sealSuccessor } from '../tokens/index.ts';
import { type OidcAdapter, type OidcStorage, revokeGrantEverywhere } from './adapter.ts';
import { boundGrantHelpers, internals } from './internals.ts';

const GTY = 'refresh_token';

export interface RefreshGrantDeps {
  storage: OidcStorage;
  graceSeconds: number;
  clock: Clock;
  onReuse: (ctx: KoaContextWithOIDC, details: { clientId: string; grantId: string; reason: string }) => void;
}

// biome-ignore lint/suspicious/noExplicitAny: oidc-provider's token models are untyped internals
type AnyToken = any;

export function registerRefreshTokenGrant(provider: Provider, deps: RefreshGrantDeps): void {
  const helpers = boundGrantHelpers(provider);
  const parameters = new Set(['refresh_token', 'scope', 'resource']);
  provider.registerGrantType(
    GTY,
    (ctx: KoaContextWithOIDC) => refreshTokenHandler(provider, helpers, deps, ctx),
    parameters,
    new Set(['resource']),
  );
}

async function refreshTokenHandler(
  provider: Provider,
  // biome-ignore lint/suspicious/noExplicitAny: bound upstream helpers
  helpers: Record<string, any>,
  deps: RefreshGrantDeps,
  ctx: KoaContextWithOIDC,
): Promise<void> {
  const { checkDpopReplay, checkDpopRequired, validateDpop, validateGrant, applyAuthorizationDetails, buildTokenResponse } =
    helpers;
  const i = internals;
  i.presence(ctx, 'refresh_token');

  const {
    features: {
      userinfo,
      mTLS: { getCertificate },
      resourceIndicators,
    },
  } = i.instance(provider).configuration;

  const { RefreshToken } = provider as unknown as { RefreshToken: AnyToken };
  const client = ctx.oidc.client as AnyToken;
  const dPoP = await validateDpop(ctx);

  const presentedValue = String(ctx.oidc.params?.refresh_token);
  const refreshToken: AnyToken = await RefreshToken.find(presentedValue, { ignoreExpiration: true });

  if (!refreshToken) throw new errors.InvalidGrant('refresh token not found');
  if (refreshToken.clientId !== client.clientId) throw new errors.InvalidGrant('client mismatch');
  if (refreshToken.isExpired) throw new errors.InvalidGrant('refresh token is expired');

  let cert: unknown;
  if (client.tlsClientCertificateBoundAccessTokens || refreshToken['x5t#S256']) {
    cert = getCertificate(ctx);
    if (!cert) throw new errors.InvalidGrant('mutual TLS client certificate not provided');
  }
  checkDpopRequired(ctx, dPoP);
  if (refreshToken['x5t#S256'] && refreshToken['x5t#S256'] !== i.certificateThumbprint(cert)) {
    throw new errors.InvalidGrant('failed x5t#S256 verification');
  }

  const grant = await validateGrant(ctx, refreshToken.grantId);

  if (ctx.oidc.params?.scope) {
    const missing = i.difference([...ctx.oidc.requestParamScopes], [...refreshToken.scopes]);
    if (missing.length !== 0) {
      throw new errors.InvalidScope(
        `refresh token missing requested ${i.pluralize('scope', missing.length)}`,
        missing.join(' '),
      );
    }
  }

  await checkDpopReplay(ctx, dPoP, client.clientId, errors.InvalidGrant);
  if (refreshToken.jkt && (!dPoP || refreshToken.jkt !== dPoP.thumbprint)) {
    throw new errors.InvalidGrant('failed jkt verification');
  }
  if (['attest_jwt_client_auth', 'attest_jwt_client_auth_dpop'].includes(client.clientAuthMethod)) {
    await i.checkAttestBinding(ctx, refreshToken);
  }

  ctx.oidc.entity('RefreshToken', refreshToken);
  ctx.oidc.entity('Grant', grant);
  const account = await i.validateAccount(provider, ctx, refreshToken, 'refresh token');
  i.checkAccountMismatch(refreshToken, grant);
  ctx.oidc.entity('Account', account);

  // Step 2: what can fail, before anything is consumed. Every field these tokens take from the
  // refresh token (grant, session, claims, acr/amr, nonce, resource, rar) is the same for every
  // generation of the family, so the presented token stands in for its child.
  const gty = refreshToken.gty && !refreshToken.gty.endsWith(GTY) ? `${refreshToken.gty} ${GTY}` : refreshToken.gty;
  const at = i.createAccessToken(
    provider,
    ctx,
    {
      accountId: account.accountId,
      expiresWithSession: refreshToken.expiresWithSession,
      grantId: refreshToken.grantId,
      sessionUid: refreshToken.sessionUid,
      sid: refreshToken.sid,
    },
    gty,
  );
  i.applyMtlsBinding(at, cert);
  if (dPoP) at.setThumbprint('jkt', dPoP.thumbprint);
  if (at.gty && !at.gty.endsWith(GTY)) at.gty = `${at.gty} ${GTY}`;

  const scope = ctx.oidc.params?.scope ? ctx.oidc.requestParamScopes : refreshToken.scopes;
  const resource = await i.resolveResource(ctx, refreshToken, { userinfo, resourceIndicators }, scope);
  if (resource) {
    const resourceServerInfo = i.resourceServer(
      await resourceIndicators.getResourceServerInfo(ctx, resource, ctx.oidc.client),
    );
    at.resourceServer = new (provider as AnyToken).ResourceServer(resource, resourceServerInfo);
    at.scope = grant.getResourceScopeFiltered(
      resource,
      [...scope].filter(Set.prototype.has.bind(at.resourceServer.scopes)),
    );
  } else {
    at.claims = refreshToken.claims;
    at.scope = grant.getOIDCScopeFiltered(scope);
  }
  await applyAuthorizationDetails(ctx, at, refreshToken);

  ctx.oidc.entity('AccessToken', at);
  const accessToken = await at.save();
  // OIDC Core §12.2 makes the ID token optional on refresh; clients such as kubectl's OIDC plugin
  // need it, so (as upstream) it comes whenever `openid` is in this refresh's scope. A client that
  // does not want it narrows `scope` on the refresh request. It carries no `nonce` (§12.2: the
  // nonce belongs to the authentication request, not to a refresh), so the source omits it.
  const { scopes, claims, acr, amr, authTime, sid } = refreshToken;
  const idTokenSource = { scopes, claims, scope: refreshToken.scope, acr, amr, authTime, sid };
  const idToken = await i.issueIdToken(provider, ctx, idTokenSource, at, grant, scope);

  // Steps 3-4: rotate, or replay, or reject.
  const adapter = RefreshToken.adapter as OidcAdapter;
  const refreshTokenValue =
    (refreshToken.consumed ? undefined : await rotate(adapter, RefreshToken, refreshToken, presentedValue, client, ctx)) ??
    (await replayOrReject(provider, deps, ctx, adapter, refreshToken, presentedValue));

  ctx.body = buildTokenResponse({
    accessToken,
    authorizationDetails: at.rar,
    expiresIn: at.expiration,
    idToken,
    refreshToken: refreshTokenValue,
    scope: refreshToken.scope ? at.scope : at.scope || undefined,
    tokenType: at.tokenType,
  });
}

/** The child's value if this request rotated the parent; undefined if someone else had (or has) consumed it. */
async function rotate(
  adapter: OidcAdapter,
  RefreshToken: AnyToken,
  parent: AnyToken,
  parentValue: string,
  client: AnyToken,
  ctx: KoaContextWithOIDC,
): Promise<string | undefined> {
  const child = new RefreshToken({
    accountId: parent.accountId,
    acr: parent.acr,
    amr: parent.amr,
    authTime: parent.authTime,
    claims: parent.claims,
    client,
    expiresWithSession: parent.expiresWithSession,
    iiat: parent.iiat,
    grantId: parent.grantId,
    gty: parent.gty,
    nonce: parent.nonce,
    resource: parent.resource,
    rotations: typeof parent.rotations === 'number' ? parent.rotations + 1 : 1,
    scope: parent.scope,
    sessionUid: parent.sessionUid,
    sid: parent.sid,
    rar: parent.rar,
    'x5t#S256': parent['x5t#S256'],
    jkt: parent.jkt,
    attestationJkt: parent.attestationJkt,
  });
  if (child.gty && !child.gty.endsWith(GTY)) child.gty = `${child.gty} ${GTY}`;
  // What BaseModel#save does, minus the write: the rotation statement writes the row.
  if (!child.jti) child.jti = child.generateTokenId();
  const expiresIn = child.remainingTTL;
  const { value, payload } = await child.getValueAndPayload();
  const sealed = await sealSuccessor(value, parentValue);

  const outcome = await adapter.rotateRefreshToken(parentValue, { value, payload, expiresIn }, sealed);
  if (outcome.kind !== 'rotated') return undefined;
  await recordAnswered(adapter, parentValue);
  child.emit('saved');
  ctx.oidc.entity('RotatedRefreshToken', parent);
  ctx.oidc.entity('RefreshToken', child);
  return value;
}

/**
 * Step 5. If the record cannot be written (the database went away just now), the successor is
 * still answered: the rotation then stays replayable by the parent's holder, the safe direction.
 */
async function recordAnswered(adapter: OidcAdapter, parentValue: string): Promise<void> {
  await adapter.markRotationAnswered(parentValue).catch(() => undefined);
}

/** A consumed token: the successor's value for a replay, or the family revoked and invalid_grant. */
async function replayOrReject(
  provider: Provider,
  deps: RefreshGrantDeps,
  ctx: KoaContextWithOIDC,
  adapter: OidcAdapter,
  presented: AnyToken,
  presentedValue: string,
): Promise<string> {
  const facts = await adapter.rotationFacts(presentedValue);
  if (!facts) throw new errors.InvalidGrant('refresh token not found');
  const successorValue = facts.successorSealed ? await openSuccessor(facts.successorSealed, presentedValue) : undefined;
  const decision = decideConsumedRefresh({
    consumedAt: epochSeconds({ now: () => facts.consumedAt }),
    now: epochSeconds(deps.clock),
    graceSeconds: deps.graceSeconds,
    successor: successorValue && facts.successor ? { value: successorValue, consumed: facts.successor.consumed } : undefined,
    answered: facts.answered,
  });
  if (decision.kind === 'replay') {
    if (!facts.answered) await recordAnswered(adapter, presentedValue);
    return decision.successorValue;
  }

  const clientId = ctx.oidc.client!.clientId;
  deps.onReuse(ctx, { clientId, grantId: presented.grantId, reason: decision.reason });
  await revokeGrantEverywhere(deps.storage, presented.grantId, { includeGrant: true });
  // The stolen family's browser session ends too: the thief may hold its cookie as well.
  if (presented.sessionUid) {
    const session = await provider.Session.findByUid(presented.sessionUid);
    await session?.destroy();
  }
  ctx.oidc.provider.emit('grant.revoked', ctx, presented.grantId);
  throw new errors.InvalidGrant('refresh token already used');
}
