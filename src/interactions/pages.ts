/** The pages of a sign-in, one function each: what a step looks like in the browser. */
import type { Context } from 'koa';
import type { SecondFactorPage } from '../sign-in/index.ts';
import type { details, InteractionDeps } from './context.ts';

type Details = Pick<Awaited<ReturnType<typeof details>>, 'interaction' | 'client'>;

const REASONS: Record<string, string> = { role: 'mfa.reason.role', client: 'mfa.reason.client', acr: 'mfa.reason.acr' };

function show(ctx: Context, status: number, body: string, retryAfter?: number) {
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  if (retryAfter !== undefined) ctx.set('Retry-After', String(retryAfter));
  ctx.body = body;
}

export async function loginPage(
  deps: InteractionDeps,
  ctx: Context,
  { interaction, client }: Details,
  view: { status?: number; email?: string; error?: string; retryAfter?: number } = {},
) {
  const body = deps.views.render('login', {
    providers: await deps.federation.buttons(),
    locale: ctx.state.locale,
    registration: deps.registrationEnabled,
    uid: interaction.uid,
    csrf: ctx.state.csrf,
    clientName: client?.clientName ?? 'the application',
    email: view.email ?? interaction.params.login_hint ?? '',
    error: view.error,
    errorVars: view.retryAfter !== undefined ? { seconds: view.retryAfter } : undefined,
  });
  show(ctx, view.status ?? 200, body, view.retryAfter);
}

/** The code prompt, or enrolment; `error` re-shows it with a message. */
export function secondFactorPage(
  deps: InteractionDeps,
  ctx: Context,
  uid: string,
  page: Extract<SecondFactorPage, { kind: 'verify' | 'enrol' }>,
  view: { status?: number; error?: string; retryAfter?: number } = {},
) {
  const action = `/interaction/${uid}/mfa`;
  const common = { locale: ctx.state.locale, csrf: ctx.state.csrf, error: view.error, errorVars: view.retryAfter !== undefined ? { seconds: view.retryAfter } : undefined };
  const body =
    page.kind === 'verify'
      ? deps.views.render('mfa', {
          ...common,
          email: page.email,
          action,
          uid,
          passkey: page.passkeys > 0,
          totp: page.totp && !page.passkeyOnly,
          passkeyOnly: page.passkeyOnly ? `passkey.only.${page.passkeyOnly}` : undefined,
        })
      : deps.views.render('mfa-enrol', { ...common, ...page.enrolment, enrolmentId: page.enrolment.id, action: `${action}/enrol`, cancelAction: `/interaction/${uid}/abort`, reason: REASONS[page.reason] });
  show(ctx, view.status ?? 200, body, view.retryAfter);
}

/** loa:3 is required and the user has no passkey: why, and where to add one (TOTP cannot satisfy it). */
export function passkeyRequiredPage(deps: InteractionDeps, ctx: Context, uid: string, reason: 'role' | 'client' | 'acr') {
  const body = deps.views.render('message', {
    locale: ctx.state.locale,
    heading: 'passkey.required.heading',
    paragraphs: [`passkey.only.${reason}`, 'passkey.required.add'],
    link: { href: `/interaction/${uid}?choose`, label: 'federation.back' },
  });
  show(ctx, 403, body);
}

export function recoveryCodesPage(deps: InteractionDeps, ctx: Context, uid: string, codes: string[]) {
  show(ctx, 200, deps.views.render('mfa-codes', { locale: ctx.state.locale, csrf: ctx.state.csrf, codes, continueAction: `/interaction/${uid}/mfa/done` }));
}

/** Shown instead of completing the sign-in while the email is unverified. */
export function unverifiedPage(deps: InteractionDeps, ctx: Context, uid: string) {
  const body = deps.views.render('message', {
    locale: ctx.state.locale,
    heading: 'msg.unverified.heading',
    paragraphs: ['msg.unverified.body'],
    csrf: ctx.state.csrf,
    form: { action: `/interaction/${uid}/resend-verification`, label: 'msg.unverified.resend', secondary: true },
  });
  show(ctx, 403, body);
}

export function checkYourEmailPage(deps: InteractionDeps, ctx: Context, email: string) {
  show(ctx, 200, deps.views.render('message', { locale: ctx.state.locale, heading: 'msg.check_email.heading', paragraphs: ['msg.check_email.sent'], vars: { email } }));
}

/** Links the client registered for users to read: homepage, policy, terms (https only). */
export function clientLinks(metadata: Record<string, unknown> | undefined): Array<{ href: string; label: string }> {
  const links: Array<{ href: string; label: string }> = [];
  for (const [field, label] of [['client_uri', 'Website'], ['policy_uri', 'Privacy policy'], ['tos_uri', 'Terms']] as const) {
    const href = metadata?.[field];
    if (typeof href === 'string' && href.startsWith('https://')) links.push({ href, label });
  }
  return links;
}

/** An existing account has this address: its password first, then the upstream identity is linked. */
export function linkPage(deps: InteractionDeps, ctx: Context, uid: string, view: { email: string; provider: string; status?: number; error?: string }) {
  const body = deps.views.render('link', { locale: ctx.state.locale, csrf: ctx.state.csrf, uid, email: view.email, provider: view.provider, error: view.error });
  show(ctx, view.status ?? 200, body);
}

/** A federated sign-in did not work: what happened, and the way back to the sign-in page. */
export function upstreamRefusedPage(deps: InteractionDeps, ctx: Context, uid: string | undefined, reason: string, status = 403) {
  const body = deps.views.render('message', {
    locale: ctx.state.locale,
    heading: 'federation.refused.heading',
    paragraphs: [reason],
    ...(uid ? { link: { href: `/interaction/${uid}?choose`, label: 'federation.back' } } : {}),
  });
  show(ctx, status, body);
}
