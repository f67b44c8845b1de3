import type { KoaContextWithOIDC } from 'oidc-provider';

/**
 * A successful revocation (RFC 7009 §2.2) is `200` with an empty body and **no Content-Type**,
 * exactly like the RFC's example. oidc-provider 9.13.3 lets Koa label the empty body `text/plain`,
 * and oidc-client-ts (default settings) refuses any response whose Content-Type is present and not
 * JSON ("Invalid response Content-Type"); with no Content-Type it, oauth4webapi, openid-client and
 * every client that ignores the body (as RFC 7009 says they do) accept the answer.
 */
export async function revocationAnswersWithoutContentType(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
  await next();
  if (ctx.oidc?.route === 'revocation' && ctx.status === 200 && ctx.body === '') {
    ctx.remove('Content-Type');
    ctx.set('Cache-Control', 'no-store');
  }
}
