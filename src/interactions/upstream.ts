/**
 * Sign-in through an upstream identity provider (federation/): the start (to the upstream), the
 * callback the upstream sends the browser to, the return into the interaction, and the password
 * that proves an existing account before a link. The decisions are federation's and the sign-in
 * flow's; the router validates the input (route records, http/route.ts), the handlers call once and render.
 *
 *   GET  /interaction/:uid/upstream/:provider   → 303 to the upstream (login_hint, prompt=login passed on)
 *   GET  /federation/:provider/callback         ← the upstream; validated, then → /interaction/:uid/upstream
 *   GET  /interaction/:uid/upstream             the verified identity enters the sign-in flow
 *   POST /interaction/:uid/link                 the existing account's password, before linking
 */
import type { Context } from 'koa';
import { z } from 'zod';
import { UpstreamUnavailable } from '../federation/index.ts';
import { type Route, route } from '../http/route.ts';
import { clientFacts, details, type InteractionDeps, requestFacts, saveState } from './context.ts';
import { renderFirstFactor } from './first-factor.ts';
import { upstreamRefusedPage } from './pages.ts';

export const providerParam = z.object({ provider: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/) });
export const linkForm = z.object({ password: z.string().max(4096) });

export function startUpstream(deps: InteractionDeps) {
  return async (ctx: Context, { params: { provider } }: { params: z.output<typeof providerParam> }) => {
    const found = await details(deps, ctx);
    const { params } = found.interaction;
    const hint = typeof ctx.query.login_hint === 'string' ? ctx.query.login_hint : params.login_hint;
    try {
      const url = await deps.federation.begin({
        provider,
        uid: found.interaction.uid,
        loginHint: typeof hint === 'string' ? hint.slice(0, 320) : undefined,
        // prompt=login asked of Gatehouse is asked of the upstream too: a fresh sign-in there.
        prompt: typeof params.prompt === 'string' && params.prompt.split(' ').includes('login') ? 'login' : undefined,
      });
      ctx.status = 303;
      ctx.redirect(url.href);
    } catch (error) {
      if (!(error instanceof UpstreamUnavailable)) throw error;
      upstreamRefusedPage(deps, ctx, found.interaction.uid, 'federation.refused.upstream_unavailable', 503);
    }
  };
}

export function returnFromUpstream(deps: InteractionDeps) {
  return async (ctx: Context) => {
    const found = await details(deps, ctx);
    const { step, state } = await deps.signIn.upstream(found.state, { uid: found.interaction.uid, request: requestFacts(deps, ctx, found), client: clientFacts(deps, found) });
    await saveState(deps, ctx, state);
    return renderFirstFactor(deps, ctx, { ...found, state: state ?? found.state }, step, '');
  };
}

export function submitLink(deps: InteractionDeps) {
  return async (ctx: Context, { body: { password } }: { body: z.output<typeof linkForm> }) => {
    const found = await details(deps, ctx);
    const { step, state } = await deps.signIn.linkWithPassword(found.state, { password, request: requestFacts(deps, ctx, found), client: clientFacts(deps, found) });
    await saveState(deps, ctx, state);
    return renderFirstFactor(deps, ctx, found, step, found.state?.email ?? '');
  };
}

export const FEDERATION_PATH = '/federation';

/** The redirect URI registered at each upstream: one fixed path per provider (no interaction id in it). */
export function federationCallbackRoutes(deps: InteractionDeps): Route[] {
  return [
    route({
      method: 'get',
      path: '/:provider/callback',
      params: providerParam,
      handle: async (ctx, { params: { provider } }) => {
        const callbackUrl = new URL(`${deps.issuer.replace(/\/$/, '')}${ctx.path}${ctx.querystring ? `?${ctx.querystring}` : ''}`);
        const outcome = await deps.federation.callback({ provider, callbackUrl, request: { ip: ctx.ip, userAgent: ctx.get('user-agent'), requestId: String(ctx.state.requestId ?? '') } });
        if (outcome.kind === 'ok') {
          ctx.status = 303;
          return ctx.redirect(`/interaction/${outcome.uid}/upstream`);
        }
        upstreamRefusedPage(deps, ctx, outcome.uid, `federation.refused.${outcome.reason}`, outcome.reason === 'upstream_unavailable' ? 503 : 400);
      },
    }),
  ];
}
