/**
 * Signing in to the console: the console is an ordinary OAuth client of Gatehouse. It sends the
 * browser through /auth (code + PKCE, state bound to this browser by a cookie), redeems the code at
 * /token from the server side, and keeps the operator's access token in the key-value store under a
 * random session id — the page and its cookies never hold the token. Whether the person may use
 * the console is the admin API's own answer for that token (role and second factor).
 */
import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import { type Route, route } from '../http/route.ts';
import { MFA_ACR } from '../mfa/policy.ts';
import { type ConsoleDeps, ConsoleSessionEnded, formText, type Operator, renderPage } from './context.ts';

const LOGIN_TTL = 600;
const random = () => randomBytes(32).toString('base64url');

const cookieNames = (deps: ConsoleDeps) => ({
  // __Host- needs https; in development the plain names (Secure would be dropped on http).
  session: deps.secureCookies ? '__Host-gatehouse.console' : 'gatehouse.console',
  login: deps.secureCookies ? '__Host-gatehouse.console-login' : 'gatehouse.console-login',
});

const cookieOptions = (deps: ConsoleDeps, maxAgeSeconds: number) => ({
  signed: true,
  httpOnly: true,
  sameSite: 'lax' as const,
  secure: deps.secureCookies,
  path: '/',
  maxAge: maxAgeSeconds * 1000,
  overwrite: true,
});

/** Only paths of the console itself are returned to after signing in (no open redirect). */
function safeReturnTo(path: string | undefined): string {
  return path && /^\/console(\/[A-Za-z0-9._~%/-]*)?(\?[A-Za-z0-9._~%&=+-]*)?$/.test(path) ? path : '/console';
}

/** Starts a sign-in: the browser goes to Gatehouse's /auth and comes back to /console/callback. */
async function startSignIn(deps: ConsoleDeps, ctx: Context): Promise<void> {
  const state = random();
  const verifier = random();
  await deps.sessions.startLogin(state, JSON.stringify({ verifier, returnTo: safeReturnTo(ctx.method === 'GET' ? ctx.url : undefined) }), LOGIN_TTL);
  ctx.cookies.set(cookieNames(deps).login, state, cookieOptions(deps, LOGIN_TTL));
  const url = new URL(`${deps.issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: deps.clientId,
    response_type: 'code',
    scope: 'openid email admin:read admin:write',
    resource: deps.adminAudience,
    redirect_uri: `${deps.issuer}/console/callback`,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state,
    ...(ctx.state.locale ? { ui_locales: String(ctx.state.locale) } : {}),
  }).toString();
  ctx.status = 303;
  ctx.redirect(url.href);
}

/** Loads the operator of this browser into ctx.state.operator, or starts a sign-in (GET) / refuses (other methods). */
export function requireOperator(deps: ConsoleDeps): Middleware {
  return async (ctx, next) => {
    const id = ctx.cookies.get(cookieNames(deps).session, { signed: true });
    const stored = id ? await deps.sessions.findSession(id) : undefined;
    if (!stored) return signInAgain(deps, ctx);
    ctx.state.operator = JSON.parse(stored) as Operator;
    try {
      await next();
    } catch (error) {
      if (!(error instanceof ConsoleSessionEnded)) throw error;
      await deps.sessions.endSession(String(id));
      await signInAgain(deps, ctx);
    }
  };
}

async function signInAgain(deps: ConsoleDeps, ctx: Context): Promise<void> {
  if (ctx.method === 'GET') return startSignIn(deps, ctx);
  ctx.state.operator = undefined;
  renderPage(deps, ctx, 'refused', { reason: 'session' }, 401);
}

interface TokenAnswer {
  access_token?: string;
  id_token?: string;
  expires_in?: number;
}

/** Back from signing in: the authorization response (RFC 6749 §4.1.2), or its error. */
const callbackQuery = z.object({ state: formText(512), code: formText(2048), error: formText(200) });

/** GET /console/callback */
function callback(deps: ConsoleDeps) {
  return async (ctx: Context, { query }: { query: z.output<typeof callbackQuery> }) => {
    const names = cookieNames(deps);
    const { state, code } = query;
    const bound = ctx.cookies.get(names.login, { signed: true });
    ctx.cookies.set(names.login, null, { path: '/' });
    // The state must be the one this browser started with (login CSRF: no one else's code lands here).
    const started = state && bound === state ? await deps.sessions.takeLogin(state) : undefined;
    if (!started || !code) return renderPage(deps, ctx, 'refused', { reason: query.error === 'access_denied' ? 'denied' : 'failed' }, 400);
    const { verifier, returnTo } = JSON.parse(started) as { verifier: string; returnTo: string };

    const answer = await fetch(`${deps.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        client_id: deps.clientId,
        redirect_uri: `${deps.issuer}/console/callback`,
        resource: deps.adminAudience,
      }),
    });
    const tokens = (await answer.json().catch(() => ({}))) as TokenAnswer;
    if (!answer.ok || !tokens.access_token) {
      deps.logger.warn({ status: answer.status }, 'console: the code exchange failed');
      return renderPage(deps, ctx, 'refused', { reason: 'failed' }, 400);
    }
    const access = await deps.admin.access(tokens.access_token);
    if (!access.read) {
      // The admin API refused this token: say why in the person's terms (role, or second factor).
      const claims = decodeJwt(tokens.access_token);
      const reason = /role/.test(access.refusal ?? '') || claims.acr === MFA_ACR ? 'role' : 'mfa';
      return renderPage(deps, ctx, 'refused', { reason }, 403);
    }
    const idClaims = tokens.id_token ? decodeJwt(tokens.id_token) : {};
    const operator: Operator = {
      sessionId: random(),
      accessToken: tokens.access_token,
      idToken: tokens.id_token ?? '',
      subject: String(decodeJwt(tokens.access_token).sub ?? ''),
      email: typeof idClaims.email === 'string' ? idClaims.email : String(decodeJwt(tokens.access_token).sub ?? ''),
      canWrite: access.write,
    };
    const ttl = Math.max(60, Math.min(Number(tokens.expires_in ?? 600), 12 * 3600));
    await deps.sessions.saveSession(operator.sessionId, JSON.stringify(operator), ttl);
    ctx.cookies.set(names.session, operator.sessionId, cookieOptions(deps, ttl));
    ctx.status = 303;
    ctx.redirect(returnTo);
  };
}

/** POST /console/logout: the console session ends here, the Gatehouse session at end_session. */
function logout(deps: ConsoleDeps) {
  return async (ctx: Context) => {
    const operator = ctx.state.operator as Operator;
    await deps.sessions.endSession(operator.sessionId);
    ctx.cookies.set(cookieNames(deps).session, null, { path: '/' });
    const url = new URL(`${deps.issuer}/session/end`);
    url.search = new URLSearchParams({
      client_id: deps.clientId,
      post_logout_redirect_uri: `${deps.issuer}/console/signed-out`,
      ...(operator.idToken ? { id_token_hint: operator.idToken } : {}),
    }).toString();
    ctx.status = 303;
    ctx.redirect(url.href);
  };
}

/** The pages before and after a console session: back from signing in, and signed out. */
export function sessionRoutes(deps: ConsoleDeps): Route[] {
  return [
    route({ method: 'get', path: '/callback', query: callbackQuery, handle: callback(deps) }),
    route({ method: 'get', path: '/signed-out', handle: (ctx) => renderPage(deps, ctx, 'signed-out', {}) }),
  ];
}

/** Signing out: a signed-in route (the operator's session is what ends). */
export const logoutRoute = (deps: ConsoleDeps): Route => route({ method: 'post', path: '/logout', handle: logout(deps) });
