/**
 * RFC 8628 device authorization grant for CLIs: oidc-provider's `features.deviceFlow` with our
 * pages, and what upstream leaves to the deployment:
 *  - the /device pages (enter the code, confirm or deny, done) rendered from views/ in the
 *    person's language, with no script (strict CSP);
 *  - a budget of wrong user codes per IP and per browser session (RFC 8628 §5.1: the user code
 *    is short, so guessing must be throttled);
 *  - `interval` in the device authorization response and `slow_down` for a CLI that polls faster
 *    (RFC 8628 §3.2, §3.5; oidc-provider defines the error but never answers it);
 *  - audit events when a person approves or denies a device.
 * Sign-in in between is the ordinary interaction (sign-in/, MFA policy, consent), so every rule
 * of the code flow applies unchanged.
 */
import { createHash } from 'node:crypto';
import type Provider from 'oidc-provider';
import { type Configuration, errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { AccountService } from '../accounts/index.ts';
import type { AuditTrail } from '../audit/index.ts';
import { DEVICE_CODE_GRANT, OIDC_SCOPES } from '../clients/index.ts';
import { negotiateLocale } from '../http/i18n.ts';
import { requestOrigin } from '../http/request-facts.ts';
import type { Views } from '../http/views.ts';
import { type Logger, securityEvent } from '../logger.ts';
import type { SecurityService } from '../security/index.ts';
import type { OidcModelKeyspace } from '../storage/keyspaces/oidc-models.ts';
import { storageKey } from './adapter.ts';
import { wrapGrantHandler } from './internals.ts';

export interface DeviceFlowDeps {
  issuer: string;
  pollIntervalSeconds: number;
  /** The name of oidc-provider's session cookie: the per-browser budget of wrong codes is keyed on it. */
  sessionCookieName: string;
  views: Views;
  audit: AuditTrail;
  accounts: Pick<AccountService, 'findById'>;
  security: Pick<SecurityService, 'retryAfter' | 'penalize'>;
  oidcModels: Pick<OidcModelKeyspace, 'startPollInterval'>;
  logger: Logger;
}

type DeviceFlowFeature = NonNullable<NonNullable<Configuration['features']>['deviceFlow']>;
type UserInputContext = KoaContextWithOIDC & { state: { gatehouseUserCode?: string } };

/** 8 letters of a 20-consonant alphabet (no vowels, no look-alikes): ~34.5 bits, RFC 8628 §6.1's example. */
const USER_CODE = { charset: 'base-20', mask: '****-****' } as const;

const digest = (value: string) => createHash('sha256').update(value).digest('base64url').slice(0, 22);
const localeOf = (ctx: KoaContextWithOIDC) =>
  negotiateLocale(typeof ctx.query?.ui_locales === 'string' ? ctx.query.ui_locales : undefined, ctx);
const origin = (ctx: KoaContextWithOIDC) => requestOrigin(ctx);

/** What the person sees for a failed attempt: a message key and the HTTP status of the page. */
function failureOf(error: Error | undefined): { message: string; status: number } | undefined {
  switch (error?.name) {
    case undefined:
      return undefined;
    case 'NoCodeError':
      return { message: 'device.no_code', status: 400 };
    case 'NotFoundError':
      return { message: 'device.not_found', status: 400 };
    case 'ExpiredError':
      return { message: 'device.expired', status: 400 };
    case 'AlreadyUsedError':
      return { message: 'device.used', status: 400 };
    default:
      return { message: 'device.error', status: (error as { status?: number }).status ?? 400 };
  }
}

/** The scopes a device asks for, as lines the person can read (the consent page's wording). */
function describeScopes(params: Record<string, unknown> | undefined) {
  const scopes = typeof params?.scope === 'string' ? params.scope.split(' ').filter(Boolean) : [];
  const api = typeof params?.resource === 'string' ? params.resource : undefined;
  return scopes.map((scope) => {
    if (OIDC_SCOPES.has(scope)) return { key: `scope.${scope}`, vars: {} };
    return api ? { key: 'scope.api', vars: { scope, api } } : { key: 'device.scope', vars: { scope } };
  });
}

/** `features.deviceFlow` for oidc-provider: the code format and the three pages. */
export function deviceFlowFeature(deps: DeviceFlowDeps): DeviceFlowFeature {
  const sessionKey = (ctx: KoaContextWithOIDC) => ctx.cookies.get(deps.sessionCookieName, { signed: false });

  return {
    enabled: true,
    ...USER_CODE,
    async userCodeInputSource(ctx, _form, _out, error) {
      const input = ctx as UserInputContext;
      const locale = localeOf(ctx);
      if (error?.name === 'AbortedError') {
        recordDenial(deps, ctx);
        ctx.type = 'html';
        ctx.body = deps.views.render('device-done', { locale, outcome: 'denied' });
        return;
      }
      const failure = failureOf(error);
      if (error?.name === 'NotFoundError') await countWrongCode(deps, ctx.ip, sessionKey(ctx));
      if (failure) ctx.status = failure.status;
      ctx.type = 'html';
      ctx.body = deps.views.render('device', {
        locale,
        action: ctx.oidc.urlFor('code_verification'),
        xsrf: ctx.oidc.session?.state?.secret,
        userCode: (error as { userCode?: string } | undefined)?.userCode ?? input.state.gatehouseUserCode ?? '',
        error: failure?.message,
      });
    },
    async userCodeConfirmSource(ctx, _form, client, _deviceInfo, userCode) {
      const code = ctx.oidc.entities.DeviceCode as { params?: Record<string, unknown> } | undefined;
      const accountId = ctx.oidc.session?.accountId;
      const account = accountId ? await deps.accounts.findById(accountId) : undefined;
      ctx.type = 'html';
      ctx.body = deps.views.render('device-confirm', {
        locale: localeOf(ctx),
        action: ctx.oidc.urlFor('code_verification'),
        xsrf: ctx.oidc.session?.state?.secret,
        userCode,
        clientName: client.clientName ?? client.clientId,
        scopes: describeScopes(code?.params),
        email: account?.email,
      });
    },
    async successSource(ctx) {
      const code = ctx.oidc.entities.DeviceCode as { scope?: string } | undefined;
      deps.audit.record({
        type: 'device.approved',
        outcome: 'success',
        subject: ctx.oidc.session?.accountId,
        actor: ctx.oidc.client?.clientId,
        ...origin(ctx),
        details: { clientId: ctx.oidc.client?.clientId, scope: code?.scope },
      });
      ctx.type = 'html';
      ctx.body = deps.views.render('device-done', {
        locale: localeOf(ctx),
        outcome: 'approved',
        clientName: ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId,
      });
    },
  } as DeviceFlowFeature;
}

function recordDenial(deps: DeviceFlowDeps, ctx: KoaContextWithOIDC): void {
  const code = (ctx.oidc.entities.DeviceCode ?? ctx.oidc.deviceCode) as { clientId?: string } | undefined;
  deps.audit.record({
    type: 'device.denied',
    outcome: 'failure',
    subject: ctx.oidc.session?.accountId,
    actor: code?.clientId,
    ...origin(ctx),
    details: { clientId: code?.clientId },
  });
}

async function countWrongCode(deps: DeviceFlowDeps, ip: string, session: string | undefined): Promise<void> {
  await Promise.all([
    deps.security.penalize('userCodeFailuresPerIp', ip),
    session ? deps.security.penalize('userCodeFailuresPerSession', digest(session)) : undefined,
  ]);
}

/**
 * Upstream's route for /device, however the router would accept it spelled (it matches
 * case-insensitively and with a trailing slash): the limits must see every request it serves.
 */
function isDevicePath(path: string, devicePath: string): boolean {
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // malformed escapes: compare the raw path
  }
  return decoded.toLowerCase().replace(/\/+/g, '/').replace(/(.)\/$/, '$1') === devicePath;
}

/**
 * Before oidc-provider looks a typed code up: refused while this IP or this browser session has
 * used up its wrong codes (429, Retry-After). `GET /device?user_code=…` (verification_uri_complete)
 * shows the form filled in instead of upstream's self-submitting page (inline script, blocked by
 * our CSP; and RFC 8628 §5.4 wants the person to confirm the code they see).
 */
function userCodeEntry(deps: DeviceFlowDeps) {
  const devicePath = `${new URL(deps.issuer).pathname.replace(/\/$/, '')}/device`;
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>) => {
    if (!isDevicePath(ctx.path, devicePath)) return next();
    if (ctx.method === 'GET' && typeof ctx.query.user_code === 'string') {
      (ctx as UserInputContext).state.gatehouseUserCode = ctx.query.user_code.slice(0, 32);
      const query = new URLSearchParams(ctx.querystring);
      query.delete('user_code');
      ctx.querystring = query.toString();
      return next();
    }
    if (ctx.method !== 'POST') return next();
    const session = ctx.cookies.get(deps.sessionCookieName, { signed: false });
    const waits = await Promise.all([
      deps.security.retryAfter('userCodeFailuresPerIp', ctx.ip),
      session ? deps.security.retryAfter('userCodeFailuresPerSession', digest(session)) : 0,
    ]);
    const retryAfter = Math.max(...waits);
    if (retryAfter === 0) return next();
    securityEvent(deps.logger, 'device.user_code_limited', { ip: ctx.ip, retryAfter });
    deps.audit.record({ type: 'device.user_code_limited', outcome: 'failure', ...origin(ctx), details: { retryAfter } });
    ctx.status = 429;
    ctx.set('Retry-After', String(retryAfter));
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'html';
    ctx.body = deps.views.render('device-done', { locale: localeOf(ctx), outcome: 'limited', minutes: Math.ceil(retryAfter / 60) });
  };
}

/**
 * RFC 8628 §3.5: a CLI polling the token endpoint sooner than `interval` after its last poll gets
 * `slow_down`. The window starts at a poll that was answered, never at a refused one, so a client
 * that backs off always gets through again; the first poll is never refused.
 */
function paceDevicePolling(provider: Provider, deps: DeviceFlowDeps): void {
  wrapGrantHandler(provider, DEVICE_CODE_GRANT, (original) => async (context) => {
    const ctx = context as KoaContextWithOIDC;
    const deviceCode = ctx.oidc.params?.device_code;
    if (typeof deviceCode === 'string' && deviceCode.length > 0 && deviceCode.length <= 512) {
      const started = await deps.oidcModels.startPollInterval('DeviceCode', storageKey('DeviceCode', deviceCode), deps.pollIntervalSeconds);
      if (!started) throw new errors.SlowDown();
    }
    await original(ctx);
  });
}

/** Installs the parts that are not configuration: the user-code limits, the interval, the polling pace. */
export function installDeviceFlow(provider: Provider, deps: DeviceFlowDeps): void {
  provider.use(userCodeEntry(deps));
  // RFC 8628 §3.2: `interval` is OPTIONAL (default 5 s) and oidc-provider leaves it out; we say ours.
  provider.on('device_authorization.success', (_ctx: KoaContextWithOIDC, body: Record<string, unknown>) => {
    body.interval = deps.pollIntervalSeconds;
  });
  paceDevicePolling(provider, deps);
}
