/** A first-factor step (password, upstream provider, a link's proof) as the browser sees it. */
import type { Context } from 'koa';
import type { FirstFactorResult, NothingPending } from '../sign-in/index.ts';
import { completeLogin, type details, type InteractionDeps, startAgain } from './context.ts';
import { linkPage, loginPage, passkeyRequiredPage, unverifiedPage, upstreamRefusedPage } from './pages.ts';

type Details = Awaited<ReturnType<typeof details>>;

export async function renderFirstFactor(deps: InteractionDeps, ctx: Context, found: Details, step: FirstFactorResult | NothingPending, email: string) {
  const uid = found.interaction.uid;
  switch (step.kind) {
    case 'done':
      return completeLogin(deps, ctx, step);
    case 'second_factor':
      return ctx.redirect(`/interaction/${uid}/mfa`);
    case 'unverified':
      return unverifiedPage(deps, ctx, uid);
    case 'upstream':
      ctx.status = 303;
      return ctx.redirect(`/interaction/${uid}/upstream/${encodeURIComponent(step.provider)}?login_hint=${encodeURIComponent(step.loginHint)}`);
    case 'prove_link':
      return linkPage(deps, ctx, uid, { email: step.email, provider: step.provider });
    case 'upstream_refused':
      return upstreamRefusedPage(deps, ctx, uid, `federation.refused.${step.reason}`);
    case 'invalid':
      if (found.state?.link) return linkPage(deps, ctx, uid, { email, provider: found.state.link.provider, status: 401, error: 'login.invalid' });
      return loginPage(deps, ctx, found, { status: 401, email, error: 'login.invalid' });
    case 'passkey_refused':
      return loginPage(deps, ctx, found, { status: 401, error: 'passkey.refused' });
    case 'passkey_required':
      return passkeyRequiredPage(deps, ctx, uid, step.reason);
    case 'nothing_pending':
      return startAgain('nothing_pending');
    default: {
      const error = step.kind === 'wait' ? 'login.slowed' : 'login.too_many';
      return loginPage(deps, ctx, found, { status: 429, email, error, retryAfter: step.retryAfter });
    }
  }
}
