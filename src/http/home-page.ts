/**
 * The issuer root and the 404 of every page group, in the normal layout and the page's language:
 * `/` says what this server is (for people: their account; for developers: discovery), and an
 * address nothing answers gets a page rather than Koa's plain-text "Not Found".
 */
import type { Middleware } from 'koa';
import { errorPageHtml } from './errors.ts';
import type { Views } from './views.ts';

export function homePage(deps: { views: Views; issuer: string }): Middleware {
  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    ctx.type = 'html';
    ctx.body = deps.views.render('home', { locale: ctx.state.locale, discovery: `${deps.issuer}/.well-known/openid-configuration` });
  };
}

/** After the group (and oidc-provider) had their turn: an unanswered GET for a page becomes the 404 page. */
export function notFoundPage(deps: { views: Views }): Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.status !== 404 || ctx.body != null || ctx.method !== 'GET' || ctx.accepts('html', 'json') !== 'html') return;
    ctx.status = 404;
    ctx.type = 'html';
    ctx.body = errorPageHtml(deps.views, ctx.state.locale, { kind: 'not_found', requestId: String(ctx.state.requestId ?? '') });
  };
}
