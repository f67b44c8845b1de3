import { bodyParser } from '@koa/bodyparser';
import type { Middleware } from 'koa';
import type { Logger } from '../logger.ts';
import { csrfProtection } from './csrf.ts';
import { errorBoundary, pageRenderer } from './errors.ts';
import type { Views } from './views.ts';

/** Browsers never compress form posts; refusing other encodings removes a decompression attack surface. */
export const identityEncodingOnly: Middleware = async (ctx, next) => {
  const encoding = ctx.get('content-encoding').trim().toLowerCase();
  if (encoding && encoding !== 'identity') {
    ctx.status = 415;
    ctx.body = { error: 'invalid_request', error_description: 'compressed request bodies are not accepted' };
    return;
  }
  await next();
};

/** The stack in front of every Gatehouse page: one error renderer, bounded form bodies, CSRF. */
export function formRouteStack(deps: { logger: Logger; views: Views; secureCookies: boolean; bodyLimitBytes: number }): Middleware[] {
  return [
    errorBoundary({ logger: deps.logger, render: pageRenderer(deps.views) }),
    identityEncodingOnly,
    bodyParser({ enableTypes: ['form'], formLimit: `${deps.bodyLimitBytes}b`, encoding: 'utf-8' }),
    csrfProtection({ secureCookies: deps.secureCookies }),
  ];
}
