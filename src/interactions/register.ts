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

const registerForm = z.object({ email: z.string().max(320), password: z.string().max(4096), name: z.string().max(200).optional() });

const checkYourEmail = (deps: InteractionDeps, email: string) =>
  deps.views.render('message', {
    heading: 'Check your email',
    paragraphs: [`We sent a link to ${email}. Open it to confirm your address, then come back and sign in.`],
  });

export function showRegistration(deps: InteractionDeps): Middleware {
  return async (ctx) => {
    if (!deps.registrationEnabled) throw new errors.InvalidRequest('registration is turned off');
    const { interaction, client } = await details(deps, ctx);
    ctx.body = deps.views.render('register', { uid: interaction.uid, csrf: ctx.state.csrf, clientName: client?.clientName });
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
      ctx.body = deps.views.render('register', {
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
    ctx.body = checkYourEmail(deps, form.email);
  };
}

/** Shown instead of completing the sign-in while the email is unverified. */
export function unverifiedPage(deps: InteractionDeps, uid: string, csrf: string) {
  return deps.views.render('message', {
    heading: 'Confirm your email address first',
    paragraphs: ['Open the link we sent you when you created your account. It may be in your spam folder.'],
    csrf,
    form: { action: `/interaction/${uid}/resend-verification`, label: 'Send the link again', secondary: true },
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
    ctx.body = checkYourEmail(deps, email);
  };
}
