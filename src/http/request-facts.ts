import type { Context } from 'koa';
import type { RequestFacts } from '../sign-in/index.ts';
import { readDeviceCookie } from './device-cookie.ts';

/** Who is asking, from where (and the browser's verified device cookie): what the sign-in flow and the audit trail need. */
export function requestFacts(ctx: Context, options: { secureCookies: boolean; clientId?: string }): RequestFacts {
  return {
    ip: ctx.ip,
    userAgent: ctx.get('user-agent'),
    requestId: String(ctx.state.requestId ?? ''),
    device: readDeviceCookie(ctx, options.secureCookies),
    clientId: options.clientId ?? '',
  };
}
