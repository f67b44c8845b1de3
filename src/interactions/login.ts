/** The first page of a sign-in (or the consent page when only consent is missing), and the password form. */
import type { Context, Middleware } from 'koa';
import { errors } from 'oidc-provider';
import { z } from 'zod';
import { describeConsent, planConsent, requestedConsent } from '../sign-in/index.ts';
import { clientFacts, details, type InteractionDeps, requestFacts, saveState } from './context.ts';
import { renderFirstFactor } from './first-factor.ts';
import { clientLinks, loginPage } from './pages.ts';

export const loginForm = z.object({ email: z.string().max(320), password: z.string().max(4096) });

export function showInteraction(deps: InteractionDeps): Middleware {
  return async (ctx) => {
    const found = await details(deps, ctx);
    if (found.interaction.prompt.name === 'login') {
      // idp_hint (Keycloak's kc_idp_hint alike): straight to that upstream, unless the user came back to choose.
      const { idp_hint: idpHint, kc_idp_hint: kcIdpHint } = found.interaction.params;
      const hint = typeof idpHint === 'string' ? idpHint : typeof kcIdpHint === 'string' ? kcIdpHint : undefined;
      if (hint && ctx.query.choose === undefined) return ctx.redirect(`/interaction/${found.interaction.uid}/upstream/${encodeURIComponent(hint)}`);
      return loginPage(deps, ctx, found);
    }
    const { interaction, client } = found;
    const account = await deps.accounts.findById(String(interaction.session?.accountId));
    const metadata = client?.metadata();
    const consent = await consentList(deps, interaction, ctx.state.locale ?? 'en');
    ctx.set('Cache-Control', 'no-store');
    ctx.body = deps.views.render('consent', {
      locale: ctx.state.locale,
      uid: interaction.uid,
      csrf: ctx.state.csrf,
      clientName: client?.clientName ?? 'the application',
      email: account?.email ?? '',
      scopes: consent.items,
      again: consent.again,
      links: clientLinks(metadata),
      logoUri: typeof metadata?.logo_uri === 'string' && metadata.logo_uri.startsWith('https://') ? metadata.logo_uri : undefined,
    });
  };
}

/**
 * What the consent page lists: what oidc-provider reports missing; when nothing is (a native
 * client asked again, sign-in/consent.ts), what the request asks for — never an empty page.
 */
async function consentList(deps: InteractionDeps, interaction: Awaited<ReturnType<typeof details>>['interaction'], locale: string) {
  const missing = planConsent(interaction.prompt.details);
  const resources = [...new Set([...Object.keys(missing.resourceScopes), ...[interaction.params.resource ?? []].flat().map(String)])];
  const apis = Object.fromEntries(await Promise.all(resources.map(async (indicator) => [indicator, await deps.apis.find(indicator)] as const)));
  const asked = describeConsent(missing, { apis, locale });
  if (asked.length > 0) return { items: asked, again: false };
  const apiScopes = Object.fromEntries(Object.entries(apis).map(([indicator, api]) => [indicator, api?.scopes.map((scope) => scope.name) ?? []]));
  return { items: describeConsent(requestedConsent(interaction.params, apiScopes), { apis, locale }), again: true };
}

export function submitLogin(deps: InteractionDeps) {
  return async (ctx: Context, { body: form }: { body: z.output<typeof loginForm> }) => {
    const found = await details(deps, ctx);
    if (found.interaction.prompt.name !== 'login') throw new errors.InvalidRequest('no sign-in is pending');
    const { step, state } = await deps.signIn.password(found.state, {
      uid: found.interaction.uid,
      ...form,
      request: requestFacts(deps, ctx, found),
      client: clientFacts(deps, found),
    });
    await saveState(deps, ctx, state);
    return renderFirstFactor(deps, ctx, found, step, form.email);
  };
}
