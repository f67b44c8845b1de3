/**
 * Self-registration inside a sign-in (can be turned off), and the gate for unverified accounts:
 * they cannot complete an authorization (unless the client allows it) and can ask for a new link.
 */
import type { Context, Middleware } from 'koa';
import { errors } from 'oidc-provider';
import { z } from 'zod';
import { ValidationFailed } from '../errors.ts';
import { details, type InteractionDeps, requestFacts } from './context.ts';
import { checkYourEmailPage } from './pages.ts';

export const registerForm = z.object({ email: z.string().max(320), password: z.string().max(4096), name: z.string().max(200).optional() });

export function showRegistration(deps: InteractionDeps): Middleware {
  return async (ctx) => {
    if (!deps.registrationEnabled) throw new errors.InvalidRequest('registration is turned off');
    const { interaction, client } = await details(deps, ctx);
    ctx.body = deps.views.render('register', { locale: ctx.state.locale, uid: interaction.uid, csrf: ctx.state.csrf, clientName: client?.clientName });
  };
}

export function submitRegistration(deps: InteractionDeps) {
  return async (ctx: Context, { body: form }: { body: z.output<typeof registerForm> }) => {
    if (!deps.registrationEnabled) throw new errors.InvalidRequest('registration is turned off');
    const { interaction, client } = await details(deps, ctx);
    await deps.security.consume('registrationPerIp', ctx.ip);
    try {
      await deps.flows.register({ email: form.email, password: form.password, locale: ctx.state.locale, ...(form.name ? { name: form.name } : {}) });
    } catch (error) {
      if (!(error instanceof ValidationFailed)) throw error;
      ctx.status = 400;
      const view = { uid: interaction.uid, csrf: ctx.state.csrf, clientName: client?.clientName, email: form.email, name: form.name, errors: error.issues };
      ctx.body = deps.views.render('register', { locale: ctx.state.locale, ...view });
      return;
    }
    // The same page whether the address was free or already taken (the owner got a mail instead).
    checkYourEmailPage(deps, ctx, form.email);
  };
}

export function resendVerification(deps: InteractionDeps): Middleware {
  return async (ctx) => {
    const found = await details(deps, ctx);
    const { step } = await deps.signIn.resendVerification(found.state, { request: requestFacts(deps, ctx, found) });
    if (step.kind !== 'sent') throw new errors.InvalidRequest('sign in first');
    checkYourEmailPage(deps, ctx, step.email);
  };
}
