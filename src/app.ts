/** The Koa middleware order, on one screen. */
import type Router from '@koa/router';
import Koa, { type Middleware } from 'koa';
import { ADMIN_PREFIX } from './admin/route.ts';
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import { errorBoundary, oauthRenderer, pageRenderer, problemRenderer } from './http/errors.ts';
import { formRouteStack } from './http/form-routes.ts';
import { homePage } from './http/home-page.ts';
import { negotiateLocale } from './http/i18n.ts';
import { byPath, type EdgeSteps, type GroupEntry, pipeline } from './http/pipeline.ts';
import { requestLogging } from './http/request-logging.ts';
import { mountRoutes } from './http/router.ts';
import { httpsOnly, securityHeaders } from './http/security-headers.ts';
import { tokenEndpointLimits } from './http/token-endpoint-limits.ts';
import type { Views } from './http/views.ts';
import { FEDERATION_PATH, federationCallbackRoutes, interactionRoutes } from './interactions/routes.ts';
import type { Logger } from './logger.ts';
import { discoveryDocument } from './oidc/discovery-document.ts';
import type { LiveProvider } from './oidc/live-provider.ts';
import { INTERACTION_PATH } from './oidc/provider.ts';
import { mountProvider } from './oidc/provider-mount.ts';
import type { Metrics } from './ops/metrics.ts';
import { createOpsRouter, type Probe } from './ops/routes.ts';
import { REGISTRATION_PATH, registrationRoutes } from './registration-api/routes.ts';
import { emailLinkRoutes } from './self-service/email-links.ts';
import { ACCOUNT_PATH, selfServiceRoutes } from './self-service/routes.ts';
import type { Services } from './services.ts';

export interface AppDeps {
  /** /admin/v1: bearer-token REST API with its OpenAPI document. */
  admin: Router;
  /** /console: the operator's web UI, over the admin API only (console/routes.ts: records, with the page stack). */
  console: Middleware;
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
  /** The one time source (tests move it): relative times on /account. */
  clock: Clock;
  probes: Probe[];
  /** Shutting down (ops/drain.ts): readiness fails. */
  isDraining?: (() => boolean) | undefined;
}

/** Token, introspection, revocation, JWKS and discovery: machines call these at high rates. */
export const PROTOCOL_PATHS: readonly string[] = ['/token', '/token/introspection', '/token/revocation', '/jwks', '/.well-known/openid-configuration'];

export function createApp(deps: AppDeps): Koa {
  const { config, logger, views } = deps;
  const app = new Koa({ proxy: config.trustProxy, keys: [...deps.cookieKeys] });
  // Errors are logged once, by the group's error boundary or oidc-provider's server_error event.
  app.silent = true;

  const steps: EdgeSteps = {
    logging: requestLogging(logger, deps.metrics),
    locale: async (ctx, next) => {
      const uiLocales = typeof ctx.query.ui_locales === 'string' ? ctx.query.ui_locales : undefined;
      ctx.state.locale = negotiateLocale(uiLocales, ctx);
      await next();
    },
    headers: securityHeaders({ hsts: config.issuer.startsWith('https://') }),
    https: httpsOnly({ enabled: config.production, issuer: config.issuer }),
    limits: tokenEndpointLimits({ security: deps.services.security, audit: deps.services.audit, logger }),
    provider: mountProvider({ provider: deps.provider, issuer: config.issuer, trustProxy: config.trustProxy }),
  };
  // One error boundary per renderer (http/errors.ts), shared by the groups that render that way.
  const errors = {
    oauth: errorBoundary({ logger, render: oauthRenderer }),
    pages: errorBoundary({ logger, render: pageRenderer(views) }),
    ops: errorBoundary({ logger, render: problemRenderer({ realm: 'gatehouse-metrics' }) }),
    admin: errorBoundary({ logger, render: problemRenderer({ realm: 'gatehouse-admin' }) }),
  };
  const pages = { logger, views, secureCookies: config.production, bodyLimitBytes: config.bodyLimitBytes };
  const pageSteps = formRouteStack(pages);

  const interactionDeps = {
    provider: deps.provider,
    signIn: deps.services.signIn,
    federation: deps.services.federation,
    apis: deps.services.apis,
    issuer: config.issuer,
    accounts: deps.services.accounts,
    flows: deps.services.flows,
    security: deps.services.security,
    registrationEnabled: config.registration.enabled,
    accountClientId: deps.accountClientId,
    ...pages,
  };
  const account = selfServiceRoutes({
    provider: deps.provider,
    accounts: deps.services.accounts,
    sessions: deps.services.sessions,
    sessionActivity: deps.services.sessionActivity,
    mfa: deps.services.mfa,
    accountChanges: deps.services.accountChanges,
    passkeyChanges: deps.services.passkeyChanges,
    federation: deps.services.federation,
    issuer: config.issuer,
    accountClientId: deps.accountClientId,
    clock: deps.clock,
    ...pages,
  });
  const emailLinks = emailLinkRoutes({ flows: deps.services.flows, security: deps.services.security, ...pages });
  const ops = createOpsRouter({
    probes: deps.probes,
    isDraining: deps.isDraining,
    metrics: config.metrics.onMainPort ? { metrics: deps.metrics, token: config.metrics.token } : undefined,
  });
  const assets: Middleware = async (ctx, next) => {
    const asset = ctx.method === 'GET' && ctx.path.startsWith('/assets/') ? views.asset(ctx.path.slice(8)) : undefined;
    if (!asset) return next();
    ctx.type = asset.type;
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = asset.body;
  };

  // Path prefix → route group. To add a group: build its pipeline here and add one row.
  const table: GroupEntry[] = [
    { exact: PROTOCOL_PATHS, group: pipeline(steps, 'protocol', errors.oauth, [deps.jwks, discoveryDocument(deps.provider)]) },
    { prefixes: ['/healthz', '/readyz', '/metrics'], group: pipeline(steps, 'json', errors.ops, [ops.routes(), ops.allowedMethods()] as unknown as Middleware[]) },
    { prefixes: [ADMIN_PREFIX], group: pipeline(steps, 'json', errors.admin, [deps.admin.routes() as unknown as Middleware]) },
    // The issuer root: what this is, for people and for developers.
    { exact: ['/'], group: pipeline(steps, 'pages', errors.pages, [homePage({ views, issuer: config.issuer })]) },
    { prefixes: ['/assets'], group: pipeline(steps, 'pages', errors.pages, [assets]) },
    {
      prefixes: [INTERACTION_PATH],
      group: pipeline(steps, 'pages', errors.pages, [mountRoutes({ prefix: INTERACTION_PATH, steps: pageSteps, routes: interactionRoutes(interactionDeps), answerUnknownMethods: true })]),
    },
    {
      prefixes: [FEDERATION_PATH],
      group: pipeline(steps, 'pages', errors.pages, [mountRoutes({ prefix: FEDERATION_PATH, steps: pageSteps, routes: federationCallbackRoutes(interactionDeps) })]),
    },
    {
      prefixes: [ACCOUNT_PATH],
      group: pipeline(steps, 'pages', errors.pages, [mountRoutes({ prefix: ACCOUNT_PATH, steps: pageSteps, routes: account, answerUnknownMethods: true })]),
    },
    { prefixes: ['/verify-email', '/password'], group: pipeline(steps, 'pages', errors.pages, [mountRoutes({ steps: pageSteps, routes: emailLinks })]) },
    { prefixes: ['/console'], group: pipeline(steps, 'pages', errors.pages, [deps.console]) },
  ];
  if (config.dcr.enabled) {
    const registration = registrationRoutes({
      registration: deps.services.registration,
      security: deps.services.security,
      audit: deps.services.audit,
      logger,
      views,
      bodyLimitBytes: config.bodyLimitBytes,
    });
    table.push({ prefixes: [REGISTRATION_PATH], group: pipeline(steps, 'json', errors.oauth, [mountRoutes(registration)]) });
  }
  // Everything else (/auth, /me, /session/end, /request …) is oidc-provider's, behind the page front.
  app.use(byPath(table, pipeline(steps, 'pages', errors.pages, [])));
  return app;
}
