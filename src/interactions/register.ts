/**
 * Self-registration inside a sign-in (can be turned off), and the gate for unverified accounts:
 * they cannot complete an authorization (unless the client allows it) and can ask for a new link.
 */
import type { Middleware } from 'koa';
import { errors } from 'oidc-provider';
import { z } from 'zod';
import { ValidationFailed } from '../errors.ts';
import { parseInput } from '../http/validate.ts';
import { details, origin } from './handlers.ts';
import type { InteractionDeps } from './routes.ts';

type Ctx = Parameters<Middleware>[0];

const registerForm = z.object({ email: z.string().max(320), password: z.string().max(4096), name: z.string().max(200).optional() });

const checkYourEmail = (deps: InteractionDeps, ctx: Ctx, email: string) =>
  deps.views.render('message', { locale: ctx.state.locale, heading: 'msg.check_email.heading', paragraphs: ['msg.check_email.sent'], vars: { email } });

export function showRegistration(deps: InteractionDeps): Middleware {
  return async (ctx) => {
    if (!deps.registrationEnabled) throw new errors.InvalidRequest('registration is turned off');
    const { interaction, client } = await details(deps, ctx);
    ctx.body = deps.views.render('register', { locale: ctx.state.locale,  uid: interaction.uid, csrf: ctx.state.csrf, clientName: client?.clientName });
  };
}

export function submitRegistration(deps: InteractionDeps): Middleware {
  return async (ctx) => {
    if (!deps.registrationEnabled) throw new errors.InvalidRequest('registration is turned off');
    const { interaction, client } = await details(deps, ctx);
    await deps.security.consume('registrationPerIp', ctx.ip);
    const form = parseInput(registerForm, ctx.request.body);
    try {
      await deps.flows.register({ email: form.email, password: form.password, ...(form.name ? { name: form.name } : {}) });
    } catch (error) {
      if (!(error instanceof ValidationFailed)) throw error;
      ctx.status = 400;
      ctx.body = deps.views.render('register', { locale: ctx.state.locale, 
        uid: interaction.uid,
        csrf: ctx.state.csrf,
        clientName: client?.clientName,
        email: form.email,
        name: form.name,
        errors: error.issues,
      });
      return;
    }
    // The same page whether the address was free or already taken (the owner got a mail instead).
    ctx.body = checkYourEmail(deps, ctx, form.email);
  };
}

/** Shown instead of completing the sign-in while the email is unverified. */
export function unverifiedPage(deps: InteractionDeps, ctx: Ctx, uid: string) {
  return deps.views.render('message', {
    locale: ctx.state.locale,
    heading: 'msg.unverified.heading',
    paragraphs: ['msg.unverified.body'],
    csrf: ctx.state.csrf,
    form: { action: `/interaction/${uid}/resend-verification`, label: 'msg.unverified.resend', secondary: true },
  });
}

export function resendVerification(deps: InteractionDeps): Middleware {
  return async (ctx) => {
    const { interaction } = await details(deps, ctx);
    const raw = await deps.kv.get(`unverified:${interaction.uid}`);
    if (!raw) throw new errors.InvalidRequest('sign in first');
    const { accountId, email } = JSON.parse(raw) as { accountId: string; email: string };
    await deps.security.consume('verificationMailPerAccount', accountId);
    await deps.flows.resendVerification({ id: accountId, email });
    deps.audit.record({ type: 'email.verification_resent', outcome: 'success', subject: accountId, ...origin(ctx) });
    ctx.body = checkYourEmail(deps, ctx, email);
  };
}
