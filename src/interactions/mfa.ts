/**
 * The second step of a sign-in: a TOTP or recovery code, or — when policy requires MFA and the
 * user has none — enrolment, before the authorization can complete.
 */
import type { Middleware } from 'koa';
import { errors } from 'oidc-provider';
import { z } from 'zod';
import { parseInput } from '../http/validate.ts';
import { MFA_ACR } from '../mfa/index.ts';
import { details, finish, origin } from './handlers.ts';
import type { InteractionDeps } from './routes.ts';

type Ctx = Parameters<Middleware>[0];

interface PendingMfa {
  accountId: string;
  email: string;
  enrol: boolean;
  reason: string | undefined;
  /** Set once enrolment is confirmed and the recovery codes were shown. */
  enrolled?: boolean;
}

const PENDING_TTL_SECONDS = 600;
const key = (uid: string) => `mfa-pending:${uid}`;
const codeForm = z.object({ code: z.string().max(64) });

export async function savePendingMfa(deps: InteractionDeps, uid: string, pending: PendingMfa): Promise<void> {
  await deps.kv.set(key(uid), JSON.stringify(pending), PENDING_TTL_SECONDS);
}

async function pendingFor(deps: InteractionDeps, ctx: Ctx) {
  const { interaction } = await details(deps, ctx);
  const raw = await deps.kv.get(key(interaction.uid));
  if (!raw || interaction.prompt.name !== 'login') throw new errors.InvalidRequest('no second factor is pending; start the sign-in again');
  return { interaction, pending: JSON.parse(raw) as PendingMfa };
}

const REASONS: Record<string, string> = { role: 'mfa.reason.role', client: 'mfa.reason.client', acr: 'mfa.reason.acr' };

async function complete(deps: InteractionDeps, ctx: Ctx, uid: string, pending: PendingMfa, method: string) {
  await deps.kv.delete([key(uid)]);
  await deps.security.recordSignInSuccess(pending.email, ctx.ip);
  deps.audit.record({ type: 'signin.success', outcome: 'success', subject: pending.accountId, ...origin(ctx), details: { method } });
  await finish(deps, ctx, { login: { accountId: pending.accountId, amr: ['pwd', 'otp'], acr: MFA_ACR } }, false);
}

export function showMfa(deps: InteractionDeps): Middleware {
  return async (ctx) => {
    const { interaction, pending } = await pendingFor(deps, ctx);
    ctx.set('Cache-Control', 'no-store');
    const action = `/interaction/${interaction.uid}/mfa`;
    if (!pending.enrol) {
      ctx.body = deps.views.render('mfa', { locale: ctx.state.locale,  csrf: ctx.state.csrf, email: pending.email, action });
      return;
    }
    const enrolment = await deps.mfa.beginEnrolment(pending.accountId, pending.email);
    ctx.body = deps.views.render('mfa-enrol', { locale: ctx.state.locale,  csrf: ctx.state.csrf, ...enrolment, action: `${action}/enrol`, reason: REASONS[pending.reason ?? ''] });
  };
}

export function submitMfa(deps: InteractionDeps): Middleware {
  return async (ctx) => {
    const { interaction, pending } = await pendingFor(deps, ctx);
    const { code } = parseInput(codeForm, ctx.request.body);
    const verdict = await deps.security.checkSignIn(pending.email, ctx.ip);
    if (!verdict.allowed) {
      ctx.status = 429;
      ctx.set('Retry-After', String(verdict.retryAfter));
      ctx.body = deps.views.render('mfa', { locale: ctx.state.locale,  csrf: ctx.state.csrf, email: pending.email, action: ctx.path, error: 'login.too_many', errorVars: { seconds: verdict.retryAfter } });
      return;
    }
    const result = await deps.mfa.verify(pending.accountId, code);
    if (!result.ok) {
      // Wrong codes count toward the same brute-force limits as wrong passwords.
      await deps.security.recordSignInFailure(pending.email, ctx.ip);
      deps.audit.record({ type: 'mfa.failed', outcome: 'failure', subject: pending.accountId, ...origin(ctx) });
      ctx.status = 401;
      ctx.body = deps.views.render('mfa', { locale: ctx.state.locale,  csrf: ctx.state.csrf, email: pending.email, action: ctx.path, error: 'mfa.invalid' });
      return;
    }
    if (result.method === 'recovery') {
      deps.audit.record({ type: 'mfa.recovery_code_used', outcome: 'success', subject: pending.accountId, ...origin(ctx) });
      await deps.mailer
        .send({ to: pending.email, subject: 'A recovery code was used', text: 'One of your recovery codes was just used to sign in. If this was not you, change your password now.' })
        .catch((error: unknown) => deps.logger.warn({ err: error }, 'could not send the recovery-code notification'));
    } else {
      deps.audit.record({ type: 'mfa.used', outcome: 'success', subject: pending.accountId, ...origin(ctx) });
    }
    await complete(deps, ctx, interaction.uid, pending, result.method);
  };
}

export function submitMfaEnrolment(deps: InteractionDeps): Middleware {
  return async (ctx) => {
    const { interaction, pending } = await pendingFor(deps, ctx);
    if (!pending.enrol) throw new errors.InvalidRequest('no enrolment is pending');
    const { code } = parseInput(codeForm, ctx.request.body);
    const codes = await deps.mfa.confirmEnrolment(pending.accountId, code);
    if (!codes) {
      await deps.security.recordSignInFailure(pending.email, ctx.ip);
      const enrolment = await deps.mfa.beginEnrolment(pending.accountId, pending.email);
      ctx.status = 401;
      ctx.body = deps.views.render('mfa-enrol', { locale: ctx.state.locale,  csrf: ctx.state.csrf, ...enrolment, action: ctx.path, error: 'mfa.setup.mismatch' });
      return;
    }
    deps.audit.record({ type: 'mfa.enrolled', outcome: 'success', subject: pending.accountId, ...origin(ctx) });
    await savePendingMfa(deps, interaction.uid, { ...pending, enrolled: true });
    ctx.set('Cache-Control', 'no-store');
    ctx.body = deps.views.render('mfa-codes', { locale: ctx.state.locale,  csrf: ctx.state.csrf, codes, continueAction: `/interaction/${interaction.uid}/mfa/done` });
  };
}

export function finishAfterRecoveryCodes(deps: InteractionDeps): Middleware {
  return async (ctx) => {
    const { interaction, pending } = await pendingFor(deps, ctx);
    if (!pending.enrolled) throw new errors.InvalidRequest('enrolment is not complete');
    await complete(deps, ctx, interaction.uid, pending, 'otp');
  };
}
