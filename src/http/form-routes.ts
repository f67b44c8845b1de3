import { bodyParser } from '@koa/bodyparser';
import type { Middleware } from 'koa';
import { csrfProtection } from './csrf.ts';

/**
 * Browsers never compress form posts; refusing other encodings removes a decompression attack
 * surface. The 415 is thrown: the group's error boundary renders it (a page, or OAuth JSON).
 */
export const identityEncodingOnly: Middleware = async (ctx, next) => {
  const encoding = ctx.get('content-encoding').trim().toLowerCase();
  if (encoding && encoding !== 'identity') {
    ctx.throw(415, 'compressed request bodies are not accepted');
  }
  await next();
};

/**
 * The stack in front of every Gatehouse page: bounded form bodies, CSRF. Errors are rendered by the
 * pages group's boundary (app.ts, http/pipeline.ts), which sits above it.
 */
export function formRouteStack(deps: { secureCookies: boolean; bodyLimitBytes: number }): Middleware[] {
  return [
    identityEncodingOnly,
    bodyParser({ enableTypes: ['form'], formLimit: `${deps.bodyLimitBytes}b`, encoding: 'utf-8' }),
    csrfProtection({ secureCookies: deps.secureCookies }),
  ];
}
