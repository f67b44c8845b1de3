/**
 * Pages reached from mailed links and the forgotten-password form — a sitemap:
 *
 *   GET  /verify-email?token=…   confirm page (a GET never uses the link: mail scanners prefetch)
 *   POST /verify-email           use the link: the email is verified
 *   GET  /password/forgot        ask for a reset link
 *   POST /password/forgot        always the same answer, whether or not the account exists
 *   GET  /password/reset?token=… choose a new password
 *   POST /password/reset         set it; every session and app is signed out; the owner is mailed
 */
import { z } from 'zod';
import type { AccountFlows } from '../accounts/flows.ts';
import { ValidationFailed } from '../errors.ts';
import type { Locale } from '../http/i18n.ts';
import { type Route, route } from '../http/route.ts';
import type { Views } from '../http/views.ts';
import type { Logger } from '../logger.ts';
import type { SecurityService } from '../security/index.ts';

export interface EmailLinkDeps {
  flows: AccountFlows;
  security: SecurityService;
  views: Views;
  logger: Logger;
  secureCookies: boolean;
  bodyLimitBytes: number;
}

const tokenForm = z.object({ token: z.string().max(256) });
const forgotForm = z.object({ email: z.string().max(320) });

/**
 * "Back to sign in" from the forgotten-password form: the sign-in page it came from (its
 * interaction id, from the link on that page), else the account page. Only an id is taken, never
 * a URL, so the link cannot be pointed elsewhere.
 */
function signInPageOf(back: unknown): string {
  return typeof back === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(back) ? `/interaction/${back}` : '/account';
}
const resetForm = z.object({ token: z.string().max(256), password: z.string().max(4096) });

export function emailLinkRoutes(deps: EmailLinkDeps): Route[] {
  const page = (ctx: { state: Record<string, unknown> }, heading: string, paragraphs: string[], extra: Record<string, unknown> = {}) =>
    deps.views.render('message', { locale: ctx.state.locale as Locale, heading, paragraphs, ...extra });

  return [
  route({ method: 'get', path: '/verify-email', handle: (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = page(ctx, 'msg.verify.heading', ['msg.verify.body'], {
      csrf: ctx.state.csrf,
      form: { action: '/verify-email', fields: { token: String(ctx.query.token ?? '') }, label: 'msg.verify.submit' },
    });
  }}),
  route({ method: 'post', path: '/verify-email', body: tokenForm, handle: async (ctx, { body: { token } }) => {
    if (!(await deps.flows.verifyEmail(token))) {
      ctx.status = 400;
      ctx.body = page(ctx, 'msg.bad_link.heading', ['msg.bad_link.body']);
      return;
    }
    ctx.body = page(ctx, 'msg.verified.heading', ['msg.verified.body']);
  }}),

  route({ method: 'get', path: '/password/forgot', handle: (ctx) => {
    ctx.body = deps.views.render('forgot', { locale: ctx.state.locale, csrf: ctx.state.csrf, backHref: signInPageOf(ctx.query.back) });
  }}),
  route({ method: 'post', path: '/password/forgot', body: forgotForm, handle: async (ctx, { body: { email } }) => {
    await deps.security.consume('passwordResetPerIp', ctx.ip);
    // Returns at once whatever the email: the work and the mail happen after the response.
    deps.flows.requestPasswordResetAfterResponse(email);
    ctx.body = page(ctx, 'msg.check_email.heading', ['msg.check_email.reset']);
  }}),

  route({ method: 'get', path: '/password/reset', handle: async (ctx) => {
    const token = String(ctx.query.token ?? '');
    ctx.set('Cache-Control', 'no-store');
    if (!(await deps.flows.resetTokenIsValid(token))) {
      ctx.status = 400;
      ctx.body = page(ctx, 'msg.bad_link.heading', ['msg.bad_link.body'], { link: { href: '/password/forgot', label: 'msg.bad_link.new' } });
      return;
    }
    ctx.body = deps.views.render('reset', { locale: ctx.state.locale,  csrf: ctx.state.csrf, token });
  }}),
  route({ method: 'post', path: '/password/reset', body: resetForm, handle: async (ctx, { body: { token, password } }) => {
    await deps.security.consume('passwordResetPerIp', ctx.ip);
    try {
      if ((await deps.flows.resetPassword(token, password)) === 'invalid_link') {
        ctx.status = 400;
        ctx.body = page(ctx, 'msg.bad_link.heading', ['msg.bad_link.body'], { link: { href: '/password/forgot', label: 'msg.bad_link.new' } });
        return;
      }
    } catch (error) {
      if (!(error instanceof ValidationFailed)) throw error;
      ctx.status = 400;
      ctx.body = deps.views.render('reset', { locale: ctx.state.locale,  csrf: ctx.state.csrf, token, errors: error.issues });
      return;
    }
    ctx.body = page(ctx, 'msg.reset_done.heading', ['msg.reset_done.body']);
  }}),
  ];
}
