/**
 * What every account-page handler shares: its dependencies, the signed-in account (under the same
 * idle rule as authorization requests), the request's facts and the account page itself. Handlers
 * import this file; it imports none of them.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import type { AccountService } from '../accounts/index.ts';
import type { Clock } from '../clock.ts';
import type { Federation } from '../federation/index.ts';
import { errorPageHtml } from '../http/errors.ts';
import { requestFacts as requestFactsOf } from '../http/request-facts.ts';
import type { Views } from '../http/views.ts';
import type { Logger } from '../logger.ts';
import type { MfaService } from '../mfa/index.ts';
import type { LiveProvider } from '../oidc/live-provider.ts';
import type { SessionActivityService } from '../sessions/activity.ts';
import type { SessionService } from '../sessions/index.ts';
import type { AccountChanges, PasskeyChanges } from '../sign-in/index.ts';
import { deviceOf, moment } from './session-display.ts';

export interface SelfServiceDeps {
  provider: LiveProvider;
  accounts: Pick<AccountService, 'findById'>;
  sessions: SessionService;
  /** The idle rule (sessions/activity.ts), shared with oidc-provider's session_idle check. */
  sessionActivity: SessionActivityService;
  mfa: Pick<MfaService, 'enrolled' | 'unusedRecoveryCodes'>;
  accountChanges: AccountChanges;
  passkeyChanges: PasskeyChanges;
  /** Links to upstream identity providers: listed, and removed unless the last way in. */
  federation: Pick<Federation, 'linksOf' | 'unlink'>;
  views: Views;
  logger: Logger;
  issuer: string;
  accountClientId: string;
  secureCookies: boolean;
  bodyLimitBytes: number;
  /** "2 hours ago" on the sessions list. */
  clock: Clock;
}

export type Notice = { kind: 'ok' | 'error'; text: string; vars?: Record<string, string | number> };

/**
 * The signed-in account behind this browser — or, when there is none or the session has been
 * idle too long, a redirect to sign in (GET) or a 401 page. Using a page counts as activity.
 */
export async function currentSession(deps: SelfServiceDeps, ctx: Context) {
  const session = await deps.provider.current().Session.get(ctx as never);
  if (session.accountId) {
    const use = await deps.sessionActivity.use({ uid: session.uid, loginTs: session.loginTs }, { ip: ctx.ip, userAgent: ctx.get('user-agent') });
    const account = use === 'active' ? await deps.accounts.findById(session.accountId) : undefined;
    if (account) return { session, account };
  }
  if (ctx.method !== 'GET') {
    ctx.status = 401;
    ctx.body = errorPageHtml(deps.views, ctx.state.locale, { kind: 'session_ended', requestId: String(ctx.state.requestId ?? '') });
    return undefined;
  }
  // PKCE is mandatory for every client; this flow never redeems its code (the session is the point).
  const challenge = createHash('sha256').update(randomBytes(32)).digest('base64url');
  const url = new URL(`${deps.issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: deps.accountClientId,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: `${deps.issuer}/account/callback`,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  ctx.status = 303;
  ctx.redirect(url.href);
  return undefined;
}

export type Current = NonNullable<Awaited<ReturnType<typeof currentSession>>>;

/** A handler for signed-in users only: `action` runs for a live session (else the sign-in redirect or a 401 page). */
export const signedIn =
  <Input = unknown>(deps: SelfServiceDeps, action: (current: Current, ctx: Context, input: Input) => Promise<void>) =>
  async (ctx: Context, input: Input): Promise<void> => {
    const current = await currentSession(deps, ctx);
    if (current) await action(current, ctx, input);
  };

export const requestFacts = (deps: SelfServiceDeps, ctx: Context) => requestFactsOf(ctx, { secureCookies: deps.secureCookies });

/** The account page (sessions, apps, two-factor, password), with an optional notice; `status` for errors. */
export async function renderAccount(deps: SelfServiceDeps, ctx: Context, { session, account }: Current, notice?: Notice, status = 200) {
  const [sessions, apps, mfaOn, recoveryLeft, links, passkeys, lastFactor] = await Promise.all([
    deps.sessions.listSessions(account.id),
    deps.sessions.listApps(account.id),
    deps.mfa.enrolled(account.id),
    deps.mfa.unusedRecoveryCodes(account.id),
    deps.federation.linksOf(account.id),
    deps.passkeyChanges.list(account),
    deps.passkeyChanges.isLastFactor(account),
  ]);
  const day = (at: Date | null) => (at ? at.toISOString().replace('T', ' ').slice(0, 16) : undefined);
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  const now = deps.clock.now();
  const locale = ctx.state.locale ?? 'en';
  ctx.body = deps.views.render('account', {
    locale: ctx.state.locale,
    csrf: ctx.state.csrf,
    email: account.email,
    notice,
    mfa: { on: mfaOn, recoveryLeft },
    passkeys: passkeys.map((passkey) => ({ id: passkey.id, name: passkey.name, createdAt: day(passkey.createdAt), lastUsedAt: day(passkey.lastUsedAt), synced: passkey.backedUp })),
    /** Removing the only passkey of an account without TOTP: a passkey must be shown first. */
    passkeyProof: lastFactor && passkeys.length === 1,
    sessions: sessions.map((s) => ({
      uid: s.uid,
      current: s.uid === session.uid,
      signedIn: s.signedInAt ? moment(s.signedInAt, now, locale) : undefined,
      lastSeen: s.lastActivity ? moment(s.lastActivity.at, now, locale) : undefined,
      device: deviceOf(s.lastActivity?.userAgent),
      ip: s.lastActivity?.ip,
    })),
    links: links.map((link) => ({ ...link, linkedAt: link.linkedAt.toISOString().slice(0, 10) })),
    apps: apps.filter((app) => app.clientId !== deps.accountClientId).map((app) => ({ ...app, since: app.since.toISOString().slice(0, 10) })),
  });
}

/** An action that needed a fresh proof: refused while throttled (429 + Retry-After), or wrong (401). */
export async function renderProofFailure(deps: SelfServiceDeps, ctx: Context, current: Current, proof: { kind: 'invalid' } | { kind: 'refused'; retryAfter: number }, wrong: string) {
  if (proof.kind === 'refused') {
    ctx.set('Retry-After', String(proof.retryAfter));
    return renderAccount(deps, ctx, current, { kind: 'error', text: 'login.too_many', vars: { seconds: proof.retryAfter } }, 429);
  }
  return renderAccount(deps, ctx, current, { kind: 'error', text: wrong }, 401);
}
