/**
 * A tiny API that accepts Gatehouse access tokens, verified with the public JWKS alone.
 *
 *   GATEHOUSE_ISSUER=http://localhost:3000 API_IDENTIFIER=https://api.example.com node examples/resource-server/server.ts
 */
import { createServer } from 'node:http';
import { AccessTokenError, bearerToken, createAccessTokenVerifier } from 'gatehouse/verify';
import Koa from 'koa';

type Verifier = ReturnType<typeof createAccessTokenVerifier>;

/** Answers 401/403 with an RFC 6750 WWW-Authenticate header when the token is missing, bad or too weak. */
function requireScopes(verifier: Verifier, ...scopes: string[]): Koa.Middleware {
  return async (ctx, next) => {
    const token = bearerToken(ctx.get('authorization'));
    try {
      if (!token) throw new AccessTokenError('invalid_token', 'missing bearer token');
      ctx.state.token = await verifier.verify(token, { scopes });
    } catch (error) {
      if (!(error instanceof AccessTokenError)) throw error;
      ctx.status = error.status;
      ctx.set('WWW-Authenticate', `Bearer error="${error.code}"${scopes.length ? `, scope="${scopes.join(' ')}"` : ''}`);
      ctx.body = { error: error.code };
      return;
    }
    await next();
  };
}

export function createResourceServer(options: { issuer: string; audience: string }): Koa {
  const verifier = createAccessTokenVerifier(options);
  const app = new Koa();
  app.use(async (ctx, next) => {
    if (ctx.path === '/invoices' && ctx.method === 'GET') {
      await requireScopes(verifier, 'invoices:read')(ctx, async () => {
        ctx.body = { caller: ctx.state.token.clientId, invoices: [{ id: 1, total: 42 }] };
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
  createServer(createResourceServer({ issuer, audience }).callback()).listen(port, '127.0.0.1', () => {
    process.stdout.write(`resource server on http://127.0.0.1:${port}, trusting ${issuer} for audience ${audience}\n`);
  });
}
