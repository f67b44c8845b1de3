/** The consent step: what the user allows is recorded in oidc-provider's Grant; or the user says no. */
import type { Middleware } from 'koa';
import { errors } from 'oidc-provider';
import { details, finish, type InteractionDeps, requestFacts } from './context.ts';

export function confirmConsent(deps: InteractionDeps): Middleware {
  return async (ctx) => {
    const found = await details(deps, ctx);
    const { provider, interaction } = found;
    if (interaction.prompt.name !== 'consent') throw new errors.InvalidRequest('no consent is pending');
    const accountId = String(interaction.session?.accountId);
    const plan = deps.signIn.consent({ accountId, missing: interaction.prompt.details, request: requestFacts(deps, ctx, found) });
    const grant = interaction.grantId
      ? await provider.Grant.find(interaction.grantId)
      : new provider.Grant({ accountId, clientId: String(interaction.params.client_id) });
    if (!grant) throw new errors.InvalidRequest('grant not found');
    if (plan.scopes.length > 0) grant.addOIDCScope(plan.scopes.join(' '));
    if (plan.claims.length > 0) grant.addOIDCClaims(plan.claims);
    for (const [indicator, scopes] of Object.entries(plan.resourceScopes)) grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    await finish(deps, ctx, { consent: interaction.grantId ? {} : { grantId } }, true);
  };
}

export function abortInteraction(deps: InteractionDeps): Middleware {
  return async (ctx) => {
    await details(deps, ctx);
    await finish(deps, ctx, { error: 'access_denied', error_description: 'The user denied the request.' }, false);
  };
}
