import { createHash, randomBytes } from 'node:crypto';
import type { Middleware } from 'koa';
import { z } from 'zod';
import { InvalidCredentials, ValidationFailed } from '../errors.ts';
import type { SelfServiceDeps } from './routes.ts';

type Ctx = Parameters<Middleware>[0];

/** The signed-in account behind this browser, or a redirect to sign in. */
export async function currentSession(deps: SelfServiceDeps, ctx: Ctx) {
  const session = await deps.provider.current().Session.get(ctx as never);
  if (session.accountId) {
    const account = await deps.accounts.findById(session.accountId);
    if (account) return { session, account };
  }
  if (ctx.method !== 'GET') {
    ctx.status = 401;
    ctx.body = deps.views.render('error', { locale: ctx.state.locale,  heading: 'Please sign in again', message: 'Your session has ended.' });
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

export function origin(ctx: Ctx) {
  return { ip: ctx.ip, userAgent: ctx.get('user-agent'), requestId: String(ctx.state.requestId ?? '') };
}

export async function render(deps: SelfServiceDeps, ctx: Ctx, notice?: { kind: 'ok' | 'error'; text: string }) {
  const current = await currentSession(deps, ctx);
  if (!current) return;
  const { session, account } = current;
  const [sessions, apps, mfaOn, recoveryLeft] = await Promise.all([
    deps.sessions.listSessions(account.id),
    deps.sessions.listApps(account.id),
    deps.mfa.enrolled(account.id),
    deps.mfa.unusedRecoveryCodes(account.id),
  ]);
  ctx.set('Cache-Control', 'no-store');
  ctx.body = deps.views.render('account', { locale: ctx.state.locale, 
    csrf: ctx.state.csrf,
    email: account.email,
    notice,
    mfa: { on: mfaOn, recoveryLeft },
    sessions: sessions.map((s) => ({
      uid: s.uid,
      current: s.uid === session.uid,
      signedInAt: s.signedInAt?.toISOString().replace('T', ' ').slice(0, 16) ?? 'unknown',
      lastSeen: s.lastActivity ? s.lastActivity.at.toISOString().replace('T', ' ').slice(0, 16) : 'unknown',
      device: s.lastActivity ? `${s.lastActivity.userAgent || 'unknown browser'} · ${s.lastActivity.ip}` : 'unknown device',
    })),
    apps: apps.filter((app) => app.clientId !== deps.accountClientId).map((app) => ({ ...app, since: app.since.toISOString().slice(0, 10) })),
  });
}

export function showAccount(deps: SelfServiceDeps): Middleware {
  return (ctx) => render(deps, ctx);
}

export function endSession(deps: SelfServiceDeps): Middleware {
  return async (ctx) => {
    const current = await currentSession(deps, ctx);
    if (!current) return;
    await deps.sessions.endSession(current.account.id, String(ctx.params.uid));
    ctx.status = 303;
    ctx.redirect('/account');
  };
}

export function revokeApp(deps: SelfServiceDeps): Middleware {
  return async (ctx) => {
    const current = await currentSession(deps, ctx);
    if (!current) return;
    await deps.sessions.revokeApp(current.account.id, String(ctx.params.grantId));
    ctx.status = 303;
    ctx.redirect('/account');
  };
}

export function logoutEverywhere(deps: SelfServiceDeps): Middleware {
  return async (ctx) => {
    const current = await currentSession(deps, ctx);
    if (!current) return;
    await deps.sessions.logoutEverywhere(current.account.id);
    ctx.status = 303;
    ctx.redirect('/account');
  };
}

const passwordForm = z.object({ current_password: z.string().max(4096), new_password: z.string().max(4096) });

export function changePassword(deps: SelfServiceDeps): Middleware {
  return async (ctx) => {
    const current = await currentSession(deps, ctx);
    if (!current) return;
    const parsed = passwordForm.safeParse(ctx.request.body);
    if (!parsed.success) throw new ValidationFailed(['Fill in both password fields.']);
    const { account, session } = current;
    try {
      await deps.accounts.changePassword(account.id, parsed.data.current_password, parsed.data.new_password);
    } catch (error) {
      if (error instanceof InvalidCredentials || error instanceof ValidationFailed) {
        ctx.status = error instanceof InvalidCredentials ? 401 : 400;
        const text = error instanceof InvalidCredentials ? 'Your current password is not correct.' : error.issues.join(' ');
        await render(deps, ctx, { kind: 'error', text });
        return;
      }
      throw error;
    }
    // A changed password ends every other session and every app's refresh tokens.
    await deps.sessions.logoutEverywhere(account.id, { keepSessionId: session.jti });
    deps.audit.record({ type: 'password.changed', outcome: 'success', subject: account.id, ...origin(ctx) });
    await deps.mailer
      .send({ to: account.email, subject: 'Your password was changed', text: 'The password of your account was just changed. If this was not you, reset it now and contact your administrator.' })
      .catch((error: unknown) => deps.logger.warn({ err: error }, 'could not send the password-change notification'));
    await render(deps, ctx, { kind: 'ok', text: 'Password changed. Every other device and app has been signed out.' });
  };
}
