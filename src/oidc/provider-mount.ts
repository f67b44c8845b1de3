import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Middleware } from 'koa';
import { PAGE_CSP } from '../http/security-headers.ts';
import type { LiveProvider } from './live-provider.ts';

type Callback = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * The last middleware: oidc-provider (itself a Koa app) is handed the raw request, with Host and
 * protocol pinned to the issuer so no header can change the endpoints it advertises (discovery
 * built from a forged Host could send clients' credentials elsewhere via a poisoned cache).
 */
export function mountProvider(deps: { provider: LiveProvider; issuer: string; trustProxy: boolean }): Middleware {
  const issuer = new URL(deps.issuer);
  const protocol = issuer.protocol.slice(0, -1);
  const callbacks = new WeakMap<object, Callback>();
  return async (ctx) => {
    const provider = deps.provider.current();
    let callback = callbacks.get(provider);
    if (!callback) {
      callback = provider.callback() as unknown as Callback;
      callbacks.set(provider, callback);
    }
    ctx.respond = false;
    ctx.req.headers.host = issuer.host;
    delete ctx.req.headers['x-forwarded-host'];
    if (deps.trustProxy) ctx.req.headers['x-forwarded-proto'] = protocol;
    // Set before oidc-provider renders: its pages (logout, errors, form_post) inherit it.
    ctx.res.setHeader('Content-Security-Policy', PAGE_CSP);
    await callback(ctx.req, ctx.res);
  };
}
