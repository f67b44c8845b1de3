/**
 * A tiny API that accepts Gatehouse access tokens — bearer and DPoP-bound (RFC 9449) — verified
 * with the public JWKS alone.
 *
 *   GATEHOUSE_ISSUER=http://localhost:3000 API_IDENTIFIER=https://api.example.com npx node examples/resource-server/server.ts
 *
 * Outside this repository, install the verifier as a package (`@gatehouse/verify`, see
 * docs/verifying-tokens.md) and import from it instead of `gatehouse/verify`.
 */
import { createServer } from 'node:http';
import { AccessTokenError, challengeFor, createAccessTokenVerifier } from 'gatehouse/verify';
import Koa from 'koa';

type Verifier = ReturnType<typeof createAccessTokenVerifier>;

/**
 * Answers 401/403 with an RFC 6750 / RFC 9449 WWW-Authenticate header when the token is missing,
 * bad, too weak, or bound to a key the request does not prove. `publicUrl` is this API's origin as
 * clients call it: DPoP proofs name the URL (htu), so behind a proxy it is the public one.
 */
function requireScopes(verifier: Verifier, publicUrl: string, ...scopes: string[]): Koa.Middleware {
  return async (ctx, next) => {
    try {
      ctx.state.token = await verifier.verifyRequest(
        { authorization: ctx.get('authorization'), dpop: ctx.req.headers.dpop, method: ctx.method, url: new URL(ctx.path, publicUrl) },
        { scopes },
      );
    } catch (error) {
      if (!(error instanceof AccessTokenError)) throw error;
      ctx.status = error.status;
      ctx.set('WWW-Authenticate', challengeFor(error, { scopes, dpopAlgorithms: verifier.dpopAlgorithms }));
      ctx.body = { error: error.code, error_description: error.message };
      return;
    }
    await next();
  };
}

export function createResourceServer(options: { issuer: string; audience: string; publicUrl: string }): Koa {
  const verifier = createAccessTokenVerifier({ issuer: options.issuer, audience: options.audience });
  const app = new Koa();
  app.use(async (ctx, next) => {
    if (ctx.path === '/invoices' && ctx.method === 'GET') {
      await requireScopes(verifier, options.publicUrl, 'invoices:read')(ctx, async () => {
        ctx.body = { caller: ctx.state.token.clientId, scheme: ctx.state.token.scheme, invoices: [{ id: 1, total: 42 }] };
      });
      return;
    }
    await next();
  });
  return app;
}

if (import.meta.main) {
  const issuer = process.env.GATEHOUSE_ISSUER ?? 'http://localhost:3000';
  const audience = process.env.API_IDENTIFIER ?? 'https://api.example.com';
  const port = Number(process.env.PORT ?? 4000);
  const publicUrl = process.env.PUBLIC_URL ?? `http://127.0.0.1:${port}`;
  createServer(createResourceServer({ issuer, audience, publicUrl }).callback()).listen(port, '127.0.0.1', () => {
    process.stdout.write(`resource server on ${publicUrl}, trusting ${issuer} for audience ${audience}\n`);
  });
}
