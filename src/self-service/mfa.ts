import type { Middleware } from 'koa';
import { z } from 'zod';
import { ValidationFailed } from '../errors.ts';
import { currentSession, origin, render } from './handlers.ts';
import type { SelfServiceDeps } from './routes.ts';

const codeForm = z.object({ code: z.string().max(64) });
const disableForm = z.object({ password: z.string().max(4096), code: z.string().max(64) });

export function startMfa(deps: SelfServiceDeps): Middleware {
  return async (ctx) => {
    const current = await currentSession(deps, ctx);
    if (!current) return;
    if (await deps.mfa.enrolled(current.account.id)) {
      await render(deps, ctx, { kind: 'ok', text: 'Two-factor authentication is already on.' });
      return;
    }
    const enrolment = await deps.mfa.beginEnrolment(current.account.id, current.account.email);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = deps.views.render('mfa-enrol', { locale: ctx.state.locale,  csrf: ctx.state.csrf, ...enrolment, action: '/account/mfa' });
  };
}

export function confirmMfa(deps: SelfServiceDeps): Middleware {
  return async (ctx) => {
    const current = await currentSession(deps, ctx);
    if (!current) return;
    const parsed = codeForm.safeParse(ctx.request.body);
    if (!parsed.success) throw new ValidationFailed(['Enter the code from your app.']);
    const codes = await deps.mfa.confirmEnrolment(current.account.id, parsed.data.code);
    if (!codes) {
      const enrolment = await deps.mfa.beginEnrolment(current.account.id, current.account.email);
      ctx.status = 401;
      ctx.body = deps.views.render('mfa-enrol', { locale: ctx.state.locale,  csrf: ctx.state.csrf, ...enrolment, action: '/account/mfa', error: 'mfa.setup.mismatch' });
      return;
    }
    deps.audit.record({ type: 'mfa.enrolled', outcome: 'success', subject: current.account.id, ...origin(ctx) });
    ctx.set('Cache-Control', 'no-store');
    ctx.body = deps.views.render('mfa-codes', { locale: ctx.state.locale,  codes, continueAction: '/account', continueMethod: 'get' });
  };
}

/** Turning MFA off needs the password and a current code (or a recovery code), and is mailed. */
export function disableMfa(deps: SelfServiceDeps): Middleware {
  return async (ctx) => {
    const current = await currentSession(deps, ctx);
    if (!current) return;
    const parsed = disableForm.safeParse(ctx.request.body);
    if (!parsed.success) throw new ValidationFailed(['Enter your password and a current code.']);
    const { account } = current;
    const passwordOk = await deps.accounts.authenticate(account.email, parsed.data.password).then(
      () => true,
      () => false,
    );
    const codeOk = passwordOk && (await deps.mfa.verify(account.id, parsed.data.code)).ok;
    if (!codeOk) {
      deps.audit.record({ type: 'mfa.disable_failed', outcome: 'failure', subject: account.id, ...origin(ctx) });
      ctx.status = 401;
      await render(deps, ctx, { kind: 'error', text: 'The password or the code is not correct.' });
      return;
    }
    await deps.mfa.remove(account.id);
    deps.audit.record({ type: 'mfa.disabled', outcome: 'success', subject: account.id, ...origin(ctx) });
    await deps.mailer
      .send({ to: account.email, subject: 'Two-factor authentication was turned off', text: 'Two-factor authentication was just turned off for your account. If this was not you, change your password now.' })
      .catch((error: unknown) => deps.logger.warn({ err: error }, 'could not send the MFA notification'));
    await render(deps, ctx, { kind: 'ok', text: 'Two-factor authentication is off.' });
  };
}
