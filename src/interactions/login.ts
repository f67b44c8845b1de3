/** The first page of a sign-in (or the consent page when only consent is missing), and the password form. */
import type { Context, Middleware } from 'koa';
import { errors } from 'oidc-provider';
import { z } from 'zod';
import { describeConsent, planConsent } from '../sign-in/index.ts';
import { clientFacts, completeLogin, details, type InteractionDeps, requestFacts, saveState } from './context.ts';
import { clientLinks, loginPage, unverifiedPage } from './pages.ts';

export const loginForm = z.object({ email: z.string().max(320), password: z.string().max(4096) });

export function showInteraction(deps: InteractionDeps): Middleware {
  return async (ctx) => {
    const found = await details(deps, ctx);
    if (found.interaction.prompt.name === 'login') return loginPage(deps, ctx, found);
    const { interaction, client } = found;
    const account = await deps.accounts.findById(String(interaction.session?.accountId));
    const metadata = client?.metadata();
    ctx.set('Cache-Control', 'no-store');
    ctx.body = deps.views.render('consent', {
      locale: ctx.state.locale,
      uid: interaction.uid,
      csrf: ctx.state.csrf,
      clientName: client?.clientName ?? 'the application',
      email: account?.email ?? '',
      scopes: describeConsent(planConsent(interaction.prompt.details)),
      links: clientLinks(metadata),
      logoUri: typeof metadata?.logo_uri === 'string' && metadata.logo_uri.startsWith('https://') ? metadata.logo_uri : undefined,
    });
  };
}

export function submitLogin(deps: InteractionDeps) {
  return async (ctx: Context, { body: form }: { body: z.output<typeof loginForm> }) => {
    const found = await details(deps, ctx);
    if (found.interaction.prompt.name !== 'login') throw new errors.InvalidRequest('no sign-in is pending');
    const { step, state } = await deps.signIn.password(found.state, {
      uid: found.interaction.uid,
      ...form,
      request: requestFacts(deps, ctx, found),
      client: clientFacts(found),
    });
    await saveState(deps, ctx, state);
    if (step.kind === 'done') return completeLogin(deps, ctx, step);
    if (step.kind === 'second_factor') return ctx.redirect(`/interaction/${found.interaction.uid}/mfa`);
    if (step.kind === 'unverified') return unverifiedPage(deps, ctx, found.interaction.uid);
    if (step.kind === 'invalid') return loginPage(deps, ctx, found, { status: 401, email: form.email, error: 'login.invalid' });
    const error = step.kind === 'wait' ? 'login.slowed' : 'login.too_many';
    return loginPage(deps, ctx, found, { status: 429, email: form.email, error, retryAfter: step.retryAfter });
  };
}
