/**
 * Two-factor authentication on the account page. Turning it on is a pending enrolment that never
 * touches a confirmed factor; a confirmed factor changes only by "replace" (a current code or a
 * recovery code first) or "turn off" (password and code) — each audited, throttled and mailed
 * (sign-in/account-changes.ts).
 */
import type { Context } from 'koa';
import { z } from 'zod';
import type { Enrolment } from '../mfa/index.ts';
import { renderAccount, renderProofFailure, requestFacts, type SelfServiceDeps, signedIn } from './context.ts';

const enrolmentId = z.string().min(1).max(64);
/** `?enrolment=` names a pending enrolment to show again; anything else starts a new one. */
export const enrolmentQuery = z.object({ enrolment: enrolmentId.optional().catch(undefined) });
export const confirmForm = z.object({ enrolment: enrolmentId, code: z.string().max(64) });
export const codeForm = z.object({ code: z.string().max(64) });
export const disableForm = z.object({ password: z.string().max(4096), code: z.string().max(64) });

function enrolPage(deps: SelfServiceDeps, ctx: Context, page: { enrolment: Enrolment; replacing: boolean }, error?: string) {
  ctx.status = error ? 401 : 200;
  ctx.set('Cache-Control', 'no-store');
  const reason = page.replacing ? 'mfa.setup.replacing' : undefined;
  ctx.body = deps.views.render('mfa-enrol', { locale: ctx.state.locale, csrf: ctx.state.csrf, ...page.enrolment, enrolmentId: page.enrolment.id, action: '/account/mfa', reason, error });
}

/** Turning MFA on (the same pending secret again for `?enrolment=`); when it is on, the account page says so. */
export const startMfa = (deps: SelfServiceDeps) =>
  signedIn(deps, async (current, ctx, { query }: { query: z.output<typeof enrolmentQuery> }) => {
    const page = await deps.accountChanges.enrolmentPage({ account: current.account, enrolmentId: query.enrolment });
    if (page.kind === 'already_on') return renderAccount(deps, ctx, current, { kind: 'ok', text: 'account.notice.mfa_already_on' });
    enrolPage(deps, ctx, page);
  });

/** The first code of the new authenticator; recovery codes are shown once. */
export const confirmMfa = (deps: SelfServiceDeps) =>
  signedIn(deps, async (current, ctx, { body: form }: { body: z.output<typeof confirmForm> }) => {
    const outcome = await deps.accountChanges.confirmEnrolment({ account: current.account, enrolmentId: form.enrolment, code: form.code, request: requestFacts(deps, ctx) });
    if (outcome.kind === 'mismatch') return enrolPage(deps, ctx, outcome, 'mfa.setup.mismatch');
    if (outcome.kind === 'stale') return renderAccount(deps, ctx, current, { kind: 'error', text: 'account.notice.mfa_stale' }, 409);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = deps.views.render('mfa-codes', { locale: ctx.state.locale, codes: outcome.recoveryCodes, continueAction: '/account', continueMethod: 'get' });
  });

/** Replacing the authenticator: a current code (or a recovery code) first. */
export const replaceMfa = (deps: SelfServiceDeps) =>
  signedIn(deps, async (current, ctx, { body: { code } }: { body: z.output<typeof codeForm> }) => {
    const outcome = await deps.accountChanges.startReplacement({ account: current.account, code, request: requestFacts(deps, ctx) });
    if (outcome.kind === 'enrol') return enrolPage(deps, ctx, outcome);
    return renderProofFailure(deps, ctx, current, outcome, 'account.notice.wrong_code');
  });

/** Turning MFA off needs the password and a current code (or a recovery code), and is mailed. */
export const disableMfa = (deps: SelfServiceDeps) =>
  signedIn(deps, async (current, ctx, { body: form }: { body: z.output<typeof disableForm> }) => {
    const proof = await deps.accountChanges.turnOffMfa({ account: current.account, ...form, request: requestFacts(deps, ctx) });
    if (proof.kind !== 'ok') return renderProofFailure(deps, ctx, current, proof, 'account.notice.wrong_password_or_code');
    await renderAccount(deps, ctx, current, { kind: 'ok', text: 'account.notice.mfa_off' });
  });
