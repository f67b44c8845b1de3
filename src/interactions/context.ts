/**
 * What every interaction handler shares: its dependencies, the interaction and its sign-in state,
 * the request's facts, and finishing a prompt. Handlers import this file; it imports none of them.
 */
import type { Context } from 'koa';
import { errors } from 'oidc-provider';
import type { AccountFlows } from '../accounts/flows.ts';
import type { AccountService } from '../accounts/index.ts';
import type { ApiService } from '../apis/index.ts';
import { SignInMustStartAgain } from '../errors.ts';
import type { Federation } from '../federation/index.ts';
import { writeDeviceCookie } from '../http/device-cookie.ts';
import { negotiateLocale } from '../http/i18n.ts';
import { requestFacts as requestFactsOf } from '../http/request-facts.ts';
import type { Views } from '../http/views.ts';
import type { Logger } from '../logger.ts';
import type { LiveProvider } from '../oidc/live-provider.ts';
import type { SecurityService } from '../security/index.ts';
import { type ClientFacts, type Login, type RequestFacts, readSignInState, type SignIn, type SignInState } from '../sign-in/index.ts';

export interface InteractionDeps {
  provider: LiveProvider;
  signIn: SignIn;
  accounts: Pick<AccountService, 'findById'>;
  flows: Pick<AccountFlows, 'register'>;
  security: Pick<SecurityService, 'consume'>;
  federation: Pick<Federation, 'begin' | 'buttons' | 'callback'>;
  /** The consent page names an API and describes its scopes from its record. */
  apis: Pick<ApiService, 'find'>;
  /** The callback URL the upstream was given is rebuilt on this issuer (never on the Host header). */
  issuer: string;
  registrationEnabled: boolean;
  /** The account pages' client: where passkeys are added (a role's passkey rule does not apply to it). */
  accountClientId?: string;
  views: Views;
  logger: Logger;
  secureCookies: boolean;
  bodyLimitBytes: number;
}

/** The key of the sign-in state inside oidc-provider's interaction result. */
const STATE_KEY = 'gatehouseSignIn';

/** The interaction of this browser (its cookie must match the URL), its client and its sign-in state. */
export async function details(deps: InteractionDeps, ctx: Context) {
  const provider = deps.provider.current();
  const interaction = await provider.interactionDetails(ctx.req, ctx.res);
  if (interaction.uid !== ctx.params.uid) throw new errors.SessionNotFound('interaction session not found');
  // The client's ui_locales come before the browser's Accept-Language (OIDC Core §3.1.2.1).
  if (typeof interaction.params.ui_locales === 'string') {
    ctx.state.locale = negotiateLocale(interaction.params.ui_locales, ctx);
  }
  const client = await provider.Client.find(String(interaction.params.client_id));
  const state: SignInState | undefined = readSignInState(interaction.result?.[STATE_KEY], interaction.uid);
  return { provider, interaction, client, state };
}

type Details = Awaited<ReturnType<typeof details>>;

/**
 * Keeps the sign-in state in the interaction's result: it lives exactly as long as the
 * interaction. Not merged with the last submission: nothing of an earlier prompt rides along.
 */
export async function saveState(deps: InteractionDeps, ctx: Context, state: SignInState | undefined): Promise<void> {
  if (!state) return;
  await deps.provider.current().interactionResult(ctx.req, ctx.res, { [STATE_KEY]: state }, { mergeWithLastSubmission: false });
}

export async function finish(deps: InteractionDeps, ctx: Context, result: Record<string, unknown>, merge: boolean) {
  const redirectTo = await deps.provider.current().interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
  ctx.status = 303;
  ctx.redirect(redirectTo);
}

/** The sign-in is done: this browser becomes a known device of the account, and the login prompt is finished. */
export async function completeLogin(deps: InteractionDeps, ctx: Context, step: { login: Login; device: Parameters<typeof writeDeviceCookie>[2] }) {
  writeDeviceCookie(ctx, deps.secureCookies, step.device);
  await finish(deps, ctx, { login: step.login }, false);
}

export function requestFacts(deps: InteractionDeps, ctx: Context, { interaction }: Pick<Details, 'interaction'>): RequestFacts {
  return requestFactsOf(ctx, { secureCookies: deps.secureCookies, clientId: String(interaction.params.client_id) });
}

export function clientFacts(deps: Pick<InteractionDeps, 'accountClientId'>, { interaction, client }: Pick<Details, 'interaction' | 'client'>): ClientFacts {
  const metadata: Record<string, unknown> = client?.metadata() ?? {};
  return {
    requiresMfa: metadata.require_mfa === true,
    requiresPasskey: metadata.require_passkey === true,
    allowsUnverified: metadata.allow_unverified_email === true,
    acrValues: typeof interaction.params.acr_values === 'string' ? interaction.params.acr_values : undefined,
    enrolsFactors: deps.accountClientId !== undefined && interaction.params.client_id === deps.accountClientId,
  };
}

/** A second-factor step can no longer continue (the account's factor changed, or nothing is pending). */
export function startAgain(kind: 'restart' | 'nothing_pending'): never {
  throw new SignInMustStartAgain(kind === 'restart' ? 'factor_changed' : 'nothing_pending');
}
