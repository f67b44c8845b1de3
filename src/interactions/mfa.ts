/**
 * The second step of a sign-in: a passkey, a TOTP or recovery code, or — when policy requires MFA
 * and the user has none — enrolment, before the authorization can complete. The decisions are the
 * sign-in flow's (sign-in/); these handlers parse, call it once and render.
 */
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import { completeLogin, type details, details as detailsOf, type InteractionDeps, requestFacts, saveState, startAgain } from './context.ts';
import { recoveryCodesPage, secondFactorPage } from './pages.ts';

export const codeForm = z.object({ code: z.string().max(64) });

type Details = Awaited<ReturnType<typeof details>>;
type View = { status?: number; error?: string; retryAfter?: number };

/** Why a code was not accepted: only a passkey satisfies this sign-in. */
export const passkeyOnlyError = (reason: 'role' | 'client' | 'acr'): View => ({ status: 403, error: `passkey.only.${reason}` });

/** The second-factor page as it stands now (a passkey and/or a code), with an optional error. */
export async function showSecondFactor(deps: InteractionDeps, ctx: Context, found: Details, view: View = {}) {
  const { step } = await deps.signIn.secondFactorPage(found.state);
  if (step.kind === 'restart' || step.kind === 'nothing_pending') startAgain(step.kind);
  secondFactorPage(deps, ctx, found.interaction.uid, step, view);
}

export function showMfa(deps: InteractionDeps): Middleware {
  return async (ctx) => {
    const found = await detailsOf(deps, ctx);
    const { step, state } = await deps.signIn.secondFactorPage(found.state);
    if (step.kind === 'restart' || step.kind === 'nothing_pending') startAgain(step.kind);
    await saveState(deps, ctx, state);
    secondFactorPage(deps, ctx, found.interaction.uid, step);
  };
}

export function submitMfa(deps: InteractionDeps) {
  return async (ctx: Context, { body: { code } }: { body: z.output<typeof codeForm> }) => {
    const found = await detailsOf(deps, ctx);
    const { step, state } = await deps.signIn.secondFactor(found.state, { code, request: requestFacts(deps, ctx, found) });
    if (step.kind === 'restart' || step.kind === 'nothing_pending') startAgain(step.kind);
    await saveState(deps, ctx, state);
    if (step.kind === 'done') return completeLogin(deps, ctx, step);
    const current = { ...found, state: state ?? found.state };
    if (step.kind === 'invalid') return showSecondFactor(deps, ctx, current, { status: 401, error: 'mfa.invalid' });
    if (step.kind === 'passkey_only') return showSecondFactor(deps, ctx, current, passkeyOnlyError(step.reason));
    const error = step.kind === 'wait' ? 'login.slowed' : 'login.too_many';
    await showSecondFactor(deps, ctx, current, { status: 429, error, retryAfter: step.retryAfter });
  };
}

export function submitMfaEnrolment(deps: InteractionDeps) {
  return async (ctx: Context, { body: { code } }: { body: z.output<typeof codeForm> }) => {
    const found = await detailsOf(deps, ctx);
    const { step, state } = await deps.signIn.confirmEnrolment(found.state, { code, request: requestFacts(deps, ctx, found) });
    if (step.kind === 'restart' || step.kind === 'nothing_pending') startAgain(step.kind);
    if (step.kind === 'mismatch') {
      if (step.page.kind !== 'enrol') startAgain('restart');
      return secondFactorPage(deps, ctx, found.interaction.uid, step.page, { status: 401, error: 'mfa.setup.mismatch' });
    }
    await saveState(deps, ctx, state);
    recoveryCodesPage(deps, ctx, found.interaction.uid, step.codes);
  };
}

export function finishAfterRecoveryCodes(deps: InteractionDeps): Middleware {
  return async (ctx) => {
    const found = await detailsOf(deps, ctx);
    const { step } = await deps.signIn.finishEnrolment(found.state, { request: requestFacts(deps, ctx, found) });
    if (step.kind !== 'done') startAgain(step.kind);
    await completeLogin(deps, ctx, step);
  };
}
