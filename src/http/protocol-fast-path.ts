import type { Middleware } from 'koa';

/**
 * Endpoints machines call at high rates. Nothing in the page stack (locale negotiation, the
 * ops, interaction, account and email-link routers, assets) serves these paths, so they skip it
 * and run only the steps that apply to them (profile in docs/performance.md).
 */
export const PROTOCOL_PATHS: ReadonlySet<string> = new Set([
  '/token',
  '/token/introspection',
  '/token/revocation',
  '/jwks',
  '/.well-known/openid-configuration',
]);

/**
 * Runs `steps` (the same middleware the full stack uses, in the same order) for the protocol
 * paths; every other request continues down the full stack.
 */
export function protocolFastPath(steps: readonly Middleware[]): Middleware {
  const run = (index: number, ctx: Parameters<Middleware>[0]): Promise<void> => {
    const step = steps[index];
    return step ? Promise.resolve(step(ctx, () => run(index + 1, ctx))) : Promise.resolve();
  };
  return (ctx, next) => (PROTOCOL_PATHS.has(ctx.path) ? run(0, ctx) : next());
}
