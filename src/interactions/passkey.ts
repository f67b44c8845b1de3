/**
 * Passkeys in a sign-in: a challenge for this interaction (JSON, fetched by
 * views/static/passkeys.js), and the assertion — the second factor, or passwordless. The
 * decisions are the sign-in flow's (sign-in/); these handlers parse, call it once and render.
 */
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import { assertionField } from '../passkeys/index.ts';
import { clientFacts, completeLogin, details, type InteractionDeps, requestFacts, saveState, startAgain } from './context.ts';
import { renderFirstFactor } from './first-factor.ts';
import { passkeyOnlyError, showSecondFactor } from './mfa.ts';
import { loginPage } from './pages.ts';

export const passkeyForm = z.object({ response: assertionField });

export function passkeyOptions(deps: InteractionDeps): Middleware {
  return async (ctx) => {
    const found = await details(deps, ctx);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await deps.signIn.passkeyOptions(found.state, { uid: found.interaction.uid });
  };
}

export function submitPasskey(deps: InteractionDeps) {
  return async (ctx: Context, { body }: { body: z.output<typeof passkeyForm> }) => {
    const found = await details(deps, ctx);
    const secondFactor = found.state?.stage === 'second_factor';
    if (!secondFactor && found.interaction.prompt.name !== 'login') startAgain('nothing_pending');
    const { step, state } = await deps.signIn.passkey(found.state, {
      uid: found.interaction.uid,
      response: body.response,
      request: requestFacts(deps, ctx, found),
      client: clientFacts(deps, found),
    });
    await saveState(deps, ctx, state);
    if (step.kind === 'done') return completeLogin(deps, ctx, step);
    if (!secondFactor) {
      if (step.kind === 'invalid' || step.kind === 'passkey_only') return loginPage(deps, ctx, found, { status: 401, error: 'passkey.refused' });
      if (step.kind === 'restart') startAgain(step.kind);
      return renderFirstFactor(deps, ctx, found, step, '');
    }
    if (step.kind === 'restart' || step.kind === 'nothing_pending') startAgain(step.kind);
    if (step.kind === 'passkey_only') return showSecondFactor(deps, ctx, found, passkeyOnlyError(step.reason));
    return showSecondFactor(deps, ctx, found, { status: 401, error: 'passkey.refused' });
  };
}
