/** The Koa middleware order, on one screen. */
import type Router from '@koa/router';
import Koa, { type Middleware } from 'koa';
import type { Config } from './config.ts';
import { negotiateLocale } from './http/i18n.ts';
import { protocolFastPath } from './http/protocol-fast-path.ts';
import { requestLogging } from './http/request-logging.ts';
import { httpsOnly, securityHeaders } from './http/security-headers.ts';
import { tokenEndpointLimits } from './http/token-endpoint-limits.ts';
import type { Views } from './http/views.ts';
import { createFederationCallbackRouter, createInteractionRouter } from './interactions/routes.ts';
import type { Logger } from './logger.ts';
import { discoveryDocument } from './oidc/discovery-document.ts';
import type { LiveProvider } from './oidc/live-provider.ts';
import { mountProvider } from './oidc/provider-mount.ts';
import type { Metrics } from './ops/metrics.ts';
import { createOpsRouter, type Probe } from './ops/routes.ts';
import { createRegistrationRouter } from './registration-api/routes.ts';
import { createEmailLinkRouter } from './self-service/email-links.ts';
import { createSelfServiceRouter } from './self-service/routes.ts';
import type { Services } from './services.ts';

export interface AppDeps {
  /** /admin/v1: bearer-token REST API with its OpenAPI document. */
  admin: Router;
  /** /console: the operator's web UI, over the admin API only. */
  console: Router;
  config: Config;
  logger: Logger;
  services: Services;
  provider: LiveProvider;
  views: Views;
  cookieKeys: readonly string[];
  /** Precomputed /jwks (ETag, Cache-Control), served ahead of oidc-provider. */
  jwks: Middleware;
  metrics: Metrics;
  accountClientId: string;
  probes: Probe[];
  /** Shutting down (ops/drain.ts): readiness fails. */
  isDraining?: (() => boolean) | undefined;
}

export function createApp(deps: AppDeps): Koa {
  const { config, logger, views } = deps;
  const app = new Koa({ proxy: config.trustProxy, keys: [...deps.cookieKeys] });
  // Errors are logged once, by the error middleware or oidc-provider's server_error event.
  app.silent = true;

  const logging = requestLogging(logger, deps.metrics);
  const headers = securityHeaders({ hsts: config.issuer.startsWith('https://') });
  const https = httpsOnly({ enabled: config.production, issuer: config.issuer });
  const limits = tokenEndpointLimits({ security: deps.services.security, audit: deps.services.audit });
  const provider = mountProvider({ provider: deps.provider, issuer: config.issuer, trustProxy: config.trustProxy });
  // Token, introspection, revocation, JWKS, discovery: the same steps, without the page stack.
  app.use(protocolFastPath([logging, headers, https, deps.jwks, discoveryDocument(deps.provider), limits, provider]));

  app.use(logging);
  app.use(async (ctx, next) => {
    const uiLocales = typeof ctx.query.ui_locales === 'string' ? ctx.query.ui_locales : undefined;
    ctx.state.locale = negotiateLocale(uiLocales, ctx.get('accept-language'));
    await next();
  });
  app.use(headers);
  app.use(https);

  const ops = createOpsRouter({
    probes: deps.probes,
    isDraining: deps.isDraining,
    metrics: config.metrics.onMainPort ? { metrics: deps.metrics, token: config.metrics.token } : undefined,
  });
  app.use(ops.routes());
  app.use(ops.allowedMethods());
  app.use(deps.jwks);
  app.use(deps.admin.routes());

  app.use(async (ctx, next) => {
    const asset = ctx.method === 'GET' && ctx.path.startsWith('/assets/') ? views.asset(ctx.path.slice(8)) : undefined;
    if (!asset) return next();
    ctx.type = asset.type;
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = asset.body;
  });

  const interactionDeps = {
    provider: deps.provider,
    signIn: deps.services.signIn,
    federation: deps.services.federation,
    issuer: config.issuer,
    accounts: deps.services.accounts,
    flows: deps.services.flows,
    security: deps.services.security,
    registrationEnabled: config.registration.enabled,
    views,
    logger,
    secureCookies: config.production,
    bodyLimitBytes: config.bodyLimitBytes,
  };
  const interactions = createInteractionRouter(interactionDeps);
  app.use(interactions.routes());
  app.use(interactions.allowedMethods());
  app.use(createFederationCallbackRouter(interactionDeps).routes());

  const selfService = createSelfServiceRouter({
    provider: deps.provider,
    accounts: deps.services.accounts,
    sessions: deps.services.sessions,
    sessionActivity: deps.services.sessionActivity,
    mfa: deps.services.mfa,
    accountChanges: deps.services.accountChanges,
    federation: deps.services.federation,
    views,
    logger,
    issuer: config.issuer,
    accountClientId: deps.accountClientId,
    secureCookies: config.production,
    bodyLimitBytes: config.bodyLimitBytes,
  });
  app.use(selfService.routes());
  app.use(selfService.allowedMethods());

  const emailLinks = createEmailLinkRouter({
    flows: deps.services.flows,
    security: deps.services.security,
    views,
    logger,
    secureCookies: config.production,
    bodyLimitBytes: config.bodyLimitBytes,
  });
  app.use(emailLinks.routes());

  app.use(deps.console.routes());
  app.use(deps.console.allowedMethods());

  if (config.dcr.enabled) {
    const registration = createRegistrationRouter({
      registration: deps.services.registration,
      security: deps.services.security,
      audit: deps.services.audit,
      logger,
      views,
      bodyLimitBytes: config.bodyLimitBytes,
    });
    app.use(registration.routes());
    app.use(registration.allowedMethods());
  }

  app.use(limits);
  app.use(provider);
  return app;
}
