/**
 * Fork of oidc-provider 9.13.3 `lib/actions/grants/refresh_token.js` (panva/node-oidc-provider,
 * tag v9.13.3). Deviations, all about rotation under concurrency:
 *
 * 1. Rotation always happens (`rotateRefreshToken` is not consulted): every refresh returns a
 *    new refresh token and consumes the old one.
 * 2. Consumption is a storage-level compare-and-set (`consumeOnce`), not upstream's
 *    check-`consumed`-then-`consume()`, which lets N parallel requests each mint a child.
 *    Exactly one request wins; it saves the child and publishes it as the parent's successor
 *    for the grace window.
 * 3. A request that finds the token consumed (or loses the race) asks the pure rule in
 *    tokens/refresh-decision.ts: inside the grace window, for the immediate predecessor, it gets
 *    the same successor refresh token and a fresh access token; otherwise the whole grant is
 *    revoked, a `refresh_token.reused` security event is emitted and it gets invalid_grant.
 * 4. Upstream destroys the presented token on reuse; we revoke the grant, which removes it too.
 * Everything else (client, expiry, mTLS, DPoP, attestation, scope and resource checks, token
 * issuance) follows upstream line by line.
 */

import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { Clock } from '../clock.ts';
import { epochSeconds } from '../clock.ts';
import type { KeyValueStore } from '../storage/key-value.ts';
import { decideConsumedRefresh } from '../tokens/index.ts';
import { type OidcAdapter, type OidcStorage, revokeGrantEverywhere, storageKey } from './adapter.ts';
import { boundGrantHelpers, internals } from './internals.ts';

const GTY = 'refresh_token';
/** How long a request that lost the rotation race waits for the winner to publish the successor. */
const SUCCESSOR_WAIT_MS = 3000;
const SUCCESSOR_POLL_MS = 20;

export interface RefreshGrantDeps {
  storage: OidcStorage;
  graceSeconds: number;
  clock: Clock;
  onReuse: (ctx: KoaContextWithOIDC, details: { clientId: string; grantId: string; reason: string }) => void;
}

// biome-ignore lint/suspicious/noExplicitAny: oidc-provider's token models are untyped internals
type AnyToken = any;

const successorKey = (parentValue: string) => `refresh-successor:${storageKey('RefreshToken', parentValue)}`;

async function waitForSuccessor(kv: KeyValueStore, parentValue: string): Promise<string | undefined> {
  const deadline = Date.now() + SUCCESSOR_WAIT_MS;
  for (;;) {
    const value = await kv.get(successorKey(parentValue));
    if (value || Date.now() >= deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, SUCCESSOR_POLL_MS));
  }
}

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
  let refreshTokenValue = presentedValue;
  let refreshToken: AnyToken = await RefreshToken.find(refreshTokenValue, { ignoreExpiration: true });

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

  const adapter = RefreshToken.adapter as OidcAdapter;
  const { kv } = deps.storage;

  const replayOrReject = async (parent: AnyToken): Promise<AnyToken> => {
    const consumedAt = typeof parent.consumed === 'number' ? parent.consumed : epochSeconds(deps.clock);
    const withinGrace = deps.graceSeconds > 0 && epochSeconds(deps.clock) - consumedAt <= deps.graceSeconds;
    const successorValue = withinGrace ? await waitForSuccessor(kv, presentedValue) : undefined;
    const successor: AnyToken = successorValue
      ? await RefreshToken.find(successorValue, { ignoreExpiration: true })
      : undefined;
    const decision = decideConsumedRefresh({
      consumedAt,
      now: epochSeconds(deps.clock),
      graceSeconds: deps.graceSeconds,
      successor: successorValue && successor ? { value: successorValue, consumed: Boolean(successor.consumed) } : undefined,
    });
    if (decision.kind === 'reuse') {
      await revokeGrantEverywhere(deps.storage, parent.grantId, { includeGrant: true });
      // The stolen family's browser session ends too: the thief may hold its cookie as well.
      if (parent.sessionUid) {
        const session = await provider.Session.findByUid(parent.sessionUid);
        await session?.destroy();
      }
      ctx.oidc.provider.emit('grant.revoked', ctx, parent.grantId);
      deps.onReuse(ctx, { clientId: client.clientId, grantId: parent.grantId, reason: decision.reason });
      throw new errors.InvalidGrant('refresh token already used');
    }
    refreshTokenValue = decision.successorValue;
    return successor;
  };

  if (refreshToken.consumed) {
    refreshToken = await replayOrReject(refreshToken);
  } else {
    const parent = refreshToken;
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

    if (await adapter.consumeOnce(presentedValue)) {
      ctx.oidc.entity('RotatedRefreshToken', parent);
      refreshTokenValue = await child.save();
      if (deps.graceSeconds > 0) await kv.set(successorKey(presentedValue), refreshTokenValue, deps.graceSeconds);
      refreshToken = child;
    } else {
      // Lost the race to a parallel request with the same token: a retry, never theft.
      refreshToken = await replayOrReject({ ...parent, consumed: epochSeconds(deps.clock) });
    }
  }
  ctx.oidc.entity('RefreshToken', refreshToken);

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
    refreshToken.gty,
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
  const idToken = await i.issueIdToken(provider, ctx, refreshToken, at, grant, scope);

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
