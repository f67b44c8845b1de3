import type { Middleware } from 'koa';
import { errors } from 'oidc-provider';
import { z } from 'zod';
import { normalizeEmail } from '../accounts/index.ts';
import { InvalidCredentials } from '../errors.ts';
import { negotiateLocale } from '../http/i18n.ts';
import { parseInput } from '../http/validate.ts';
import { decideMfa, PASSWORD_ACR } from '../mfa/index.ts';
import { savePendingMfa } from './mfa.ts';
import { unverifiedPage } from './register.ts';
import type { InteractionDeps } from './routes.ts';

const loginForm = z.object({ email: z.string().max(320), password: z.string().max(4096) });

type Ctx = Parameters<Middleware>[0];

export async function details(deps: InteractionDeps, ctx: Ctx) {
  const provider = deps.provider.current();
  const interaction = await provider.interactionDetails(ctx.req, ctx.res);
  if (interaction.uid !== ctx.params.uid) throw new errors.SessionNotFound('interaction session not found');
  // The client's ui_locales come before the browser's Accept-Language (OIDC Core §3.1.2.1).
  if (typeof interaction.params.ui_locales === 'string') {
    ctx.state.locale = negotiateLocale(interaction.params.ui_locales, ctx.get('accept-language'));
  }
  const client = await provider.Client.find(String(interaction.params.client_id));
  return { provider, interaction, client };
}

export async function finish(deps: InteractionDeps, ctx: Ctx, result: Record<string, unknown>, merge: boolean) {
  const redirectTo = await deps.provider
    .current()
    .interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
  ctx.status = 303;
  ctx.redirect(redirectTo);
}

/** Each requested scope in plain words (translated in the template). */
function describeScopes(details: Record<string, unknown>): Array<{ key: string; vars?: Record<string, string> }> {
  const known = new Set(['openid', 'email', 'profile', 'offline_access']);
  const oidc = ((details.missingOIDCScope as string[] | undefined) ?? []).map((scope) =>
    known.has(scope) ? { key: `scope.${scope}` } : { key: scope },
  );
  const resourceScopes = Object.entries((details.missingResourceScopes as Record<string, string[]>) ?? {}).flatMap(([resource, scopes]) =>
    scopes.map((scope) => ({ key: 'scope.api', vars: { scope, api: resource } })),
  );
  return [...oidc, ...resourceScopes];
}

/** Links the client registered for users to read: homepage, policy, terms. */
function clientLinks(metadata: Record<string, unknown> | undefined): Array<{ href: string; label: string }> {
  const links: Array<{ href: string; label: string }> = [];
  for (const [field, label] of [['client_uri', 'Website'], ['policy_uri', 'Privacy policy'], ['tos_uri', 'Terms']] as const) {
    const href = metadata?.[field];
    if (typeof href === 'string' && href.startsWith('https://')) links.push({ href, label });
  }
  return links;
}


export function showInteraction(deps: InteractionDeps): Middleware {
  return async (ctx) => {
    const { interaction, client } = await details(deps, ctx);
    const common = { uid: interaction.uid, csrf: ctx.state.csrf, clientName: client?.clientName ?? 'the application' };
    ctx.set('Cache-Control', 'no-store');
    if (interaction.prompt.name === 'login') {
      ctx.body = deps.views.render('login', { locale: ctx.state.locale,  ...common, email: interaction.params.login_hint ?? '', registration: deps.registrationEnabled });
      return;
    }
    const account = await deps.accounts.findById(String(interaction.session?.accountId));
    ctx.body = deps.views.render('consent', { locale: ctx.state.locale, 
      ...common,
      email: account?.email ?? '',
      scopes: describeScopes(interaction.prompt.details),
      links: clientLinks(client?.metadata()),
      logoUri: typeof client?.metadata().logo_uri === 'string' && String(client?.metadata().logo_uri).startsWith('https://') ? client?.metadata().logo_uri : undefined,
    });
  };
}

/** Who did it, from where: the fields every audit event of a browser request carries. */
export function origin(ctx: Ctx) {
  return { ip: ctx.ip, userAgent: ctx.get('user-agent'), requestId: String(ctx.state.requestId ?? '') };
}

export function submitLogin(deps: InteractionDeps): Middleware {
  return async (ctx) => {
    const { interaction, client } = await details(deps, ctx);
    if (interaction.prompt.name !== 'login') throw new errors.InvalidRequest('no sign-in is pending');
    const form = parseInput(loginForm, ctx.request.body);
    const email = normalizeEmail(form.email);
    const clientId = String(interaction.params.client_id);
    const page = (status: number, error: string, errorVars?: Record<string, number>) => {
      ctx.status = status;
      ctx.set('Cache-Control', 'no-store');
      ctx.body = deps.views.render('login', { locale: ctx.state.locale, 
        registration: deps.registrationEnabled,
        uid: interaction.uid,
        csrf: ctx.state.csrf,
        clientName: client?.clientName ?? 'the application',
        email: form.email,
        error,
        errorVars,
      });
    };

    await deps.security.consume('signInPerIp', ctx.ip);
    const verdict = await deps.security.checkSignIn(email, ctx.ip);
    if (!verdict.allowed) {
      deps.audit.record({ type: 'signin.blocked', outcome: 'failure', subject: email, actor: clientId, ...origin(ctx), details: { dimension: verdict.dimension, retryAfter: verdict.retryAfter } });
      ctx.set('Retry-After', String(verdict.retryAfter));
      page(429, 'login.too_many', { seconds: verdict.retryAfter });
      return;
    }
    try {
      const account = await deps.accounts.authenticate(form.email, form.password);
      if (!account.emailVerified && deps.requireVerifiedEmail && client?.metadata().allow_unverified_email !== true) {
        await deps.kv.set(`unverified:${interaction.uid}`, JSON.stringify({ accountId: account.id, email: account.email }), 600);
        deps.audit.record({ type: 'signin.unverified_email', outcome: 'failure', subject: account.id, actor: clientId, ...origin(ctx) });
        ctx.status = 403;
        ctx.body = unverifiedPage(deps, ctx, interaction.uid);
        return;
      }
      const mfa = decideMfa({
        enrolled: await deps.mfa.enrolled(account.id),
        roles: await deps.rolesOf(account.id),
        requiredRoles: deps.mfaRequiredRoles,
        clientRequiresMfa: client?.metadata().require_mfa === true,
        acrValues: typeof interaction.params.acr_values === 'string' ? interaction.params.acr_values : undefined,
      });
      if (mfa.kind !== 'none') {
        // The password was right; the sign-in completes only after the second factor.
        await savePendingMfa(deps, interaction.uid, { accountId: account.id, email: account.email, enrol: mfa.kind === 'enrol', reason: mfa.kind === 'enrol' ? mfa.reason : undefined });
        ctx.status = 303;
        ctx.redirect(`/interaction/${interaction.uid}/mfa`);
        return;
      }
      await deps.security.recordSignInSuccess(email, ctx.ip);
      deps.audit.record({ type: 'signin.success', outcome: 'success', subject: account.id, actor: clientId, ...origin(ctx), details: { method: 'pwd' } });
      await finish(deps, ctx, { login: { accountId: account.id, amr: ['pwd'], acr: PASSWORD_ACR } }, false);
    } catch (error) {
      if (!(error instanceof InvalidCredentials)) throw error;
      const backoff = await deps.security.recordSignInFailure(email, ctx.ip);
      deps.audit.record({ type: 'signin.failure', outcome: 'failure', subject: email, actor: clientId, ...origin(ctx), details: { reason: error.reason } });
      if (backoff.accountBackoff > 0) {
        deps.audit.record({ type: 'signin.backoff', outcome: 'info', subject: email, ...origin(ctx), details: { seconds: backoff.accountBackoff, failures: backoff.accountFailures } });
        if (error.reason === 'bad_password' && backoff.accountBackoff === 1) await notifyOwner(deps, email);
      }
      page(401, 'login.invalid');
    }
  };
}

/** Once per attack wave (the first account-level backoff): tell the owner, who may not know. */
async function notifyOwner(deps: InteractionDeps, email: string) {
  await deps.mailer
    .send({
      to: email,
      subject: 'Repeated failed sign-ins to your account',
      text: 'Someone tried many wrong passwords for your account. Sign-ins are being slowed down to protect it. If this was not you, consider changing your password.',
    })
    .catch((error: unknown) => deps.logger.warn({ err: error }, 'could not send the backoff notification'));
}

export function confirmConsent(deps: InteractionDeps): Middleware {
  return async (ctx) => {
    const { provider, interaction } = await details(deps, ctx);
    if (interaction.prompt.name !== 'consent') throw new errors.InvalidRequest('no consent is pending');
    const { params, session, prompt } = interaction;
    const accountId = String(session?.accountId);
    const grant = interaction.grantId
      ? await provider.Grant.find(interaction.grantId)
      : new provider.Grant({ accountId, clientId: String(params.client_id) });
    if (!grant) throw new errors.InvalidRequest('grant not found');
    const missing = prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    deps.audit.record({
      type: 'consent.granted',
      outcome: 'success',
      subject: accountId,
      actor: String(params.client_id),
      ...origin(ctx),
      details: { scopes: missing.missingOIDCScope ?? [], resources: Object.keys(missing.missingResourceScopes ?? {}) },
    });
    await finish(deps, ctx, { consent: interaction.grantId ? {} : { grantId } }, true);
  };
}

export function abortInteraction(deps: InteractionDeps): Middleware {
  return async (ctx) => {
    await details(deps, ctx);
    await finish(deps, ctx, { error: 'access_denied', error_description: 'The user denied the request.' }, false);
  };
}
