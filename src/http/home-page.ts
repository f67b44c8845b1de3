/**
 * The issuer root, in the normal layout and the page's language: what this server is (for people:
 * their account; for developers: discovery). Addresses nobody answers get the 404 page from
 * oidc-provider's end of every pipeline (oidc/provider.ts).
 */
import type { Middleware } from 'koa';
import type { Views } from './views.ts';

export function homePage(deps: { views: Views; issuer: string }): Middleware {
  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    ctx.type = 'html';
    ctx.body = deps.views.render('home', { locale: ctx.state.locale, discovery: `${deps.issuer}/.well-known/openid-configuration` });
  };
}
