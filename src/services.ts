/**
 * The one object graph: every domain service built from config, storage, clock and logger.
 * Used alike by the server (gatehouse.ts), the CLI and the tests.
 */
import { createAccountAdministration } from './accounts/administration.ts';
import { createEmailTokens } from './accounts/email-tokens.ts';
import { createAccountFlows } from './accounts/flows.ts';
import { createAccountService, createPasswordHasher, createPasswordPolicy, type PasswordOperation } from './accounts/index.ts';
import { adminAudience } from './admin/auth.ts';
import { createApiService } from './apis/index.ts';
import { type AuditEvent, createAuditTrail } from './audit/index.ts';
import { createBackgroundTasks } from './background.ts';
import { createClientService } from './clients/index.ts';
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import { createFederation } from './federation/index.ts';
import { VIEWS_DIR } from './http/views.ts';
import { createKeyService } from './keys/index.ts';
import type { Logger } from './logger.ts';
import { createMailer, type Mailer } from './mail/index.ts';
import { createMailTemplates } from './mail/templates.ts';
import { createMfaService } from './mfa/index.ts';
import { createNotifications } from './notifications/index.ts';
import { createPasskeyService } from './passkeys/index.ts';
import { createRbacService } from './rbac/index.ts';
import { createRegistrationService } from './registration/index.ts';
import { createSecurityService, defaultSignInPolicy } from './security/index.ts';
import { createSessionActivity } from './sessions/activity.ts';
import { createSessionService } from './sessions/index.ts';
import { createAccountChanges, createPasskeyChanges, createSignIn } from './sign-in/index.ts';
import { revokeGrantEverywhere } from './storage/grant-revocation.ts';
import type { Storage } from './storage/index.ts';
import type { ClientMetadata } from './storage/queries/clients.ts';
import { createLimiterFactory } from './storage/rate-limiter-store.ts';
import { createWebhookService } from './webhooks/index.ts';

export interface Secrets {
  keyEncryptionSecret: Uint8Array;
  cookieKeys: readonly string[];
}

export function buildServices(deps: {
  config: Config;
  storage: Storage;
  clock: Clock;
  logger: Logger;
  secrets: Secrets;
  mailer?: Mailer;
  /** Sees every audit event (metrics count them). */
  observeAudit?: (event: AuditEvent) => void;
  /** Each argon2 (or imported Django) hash or verification as it starts. */
  observePasswordOperation?: (operation: PasswordOperation) => void;
  /** oidc-provider's client-metadata validation (the server passes it; the CLI has no provider). */
  validateClientMetadata?: (metadata: ClientMetadata) => Promise<void>;
}) {
  const { config, storage, clock, logger, secrets } = deps;
  const { queries, keyspaces } = storage;
  const grantStores = { payloads: queries.oidcPayloads, oidcModels: keyspaces.oidcModels };
  const audit = createAuditTrail({
    events: queries.auditEvents,
    clock,
    logger,
    retentionDays: config.auditRetentionDays,
    ...(deps.observeAudit ? { observe: deps.observeAudit } : {}),
  });
  const mailer = deps.mailer ?? createMailer({ ...config.mail, logger });
  const notifications = createNotifications({
    outbox: queries.mailOutbox,
    mailer,
    templates: createMailTemplates({ theme: config.theme, issuer: config.issuer, viewsDir: VIEWS_DIR }),
    recipient: async (email) => {
      const row = await queries.users.findByEmail(email);
      return row && { locale: row.locale, name: row.name };
    },
    keyEncryptionSecret: secrets.keyEncryptionSecret,
    clock,
    logger,
  });
  const background = createBackgroundTasks(logger);
  const security = createSecurityService({
    createLimiter: createLimiterFactory(storage.redis),
    createLocalLimiter: createLimiterFactory(undefined),
    signIn: defaultSignInPolicy(config.backoffCeilingSeconds),
    limits: { clientRegistrationPerIp: { points: config.dcr.registrationsPerIpPerHour, durationSeconds: 3600 } },
    throttleMarks: storage.keyspaces.signInThrottle,
    clock,
  });
  // The policy loads its dictionary and estimator on first use (about 85 MB), not at start.
  const accounts = createAccountService({
    users: queries.users,
    hasher: createPasswordHasher(config.passwordHashing, deps.observePasswordOperation ? { observe: deps.observePasswordOperation } : {}),
    policy: createPasswordPolicy({
      minLength: config.passwordPolicy.minLength,
      minScore: config.passwordPolicy.minScore,
      breachCheck: config.passwordPolicy.breachCheck,
    }),
    onPasswordUpgraded: ({ accountId, from }) => audit.record({ type: 'password.upgraded', outcome: 'success', subject: accountId, details: { from } }),
  });
  // Rarely changing records read on every token request: cached, stale for at most one poll
  // interval on other instances.
  const cacheTtlMs = config.keys.pollInterval * 1000;
  const apis = createApiService({
    apis: queries.apis,
    clock,
    cacheTtlMs,
    claimsAllowList: config.accessTokenClaims,
    signingAlgs: config.keys.algorithms,
    ...(deps.validateClientMetadata ? { validateMetadata: deps.validateClientMetadata } : {}),
    isBuiltIn: (identifier) => identifier === adminAudience(config.issuer),
    onChange: (change) => audit.record({ type: `api.${change.kind}`, outcome: 'success', subject: change.identifier, details: {} }),
    transact: storage.transaction,
    onClientsChanged: (clientIds) => {
      for (const clientId of clientIds) clients.forget(clientId);
    },
  });
  const clients = createClientService({
    clients: queries.clients,
    apiExists: async (identifier) => (await apis.find(identifier)) !== undefined,
    onChange: (change) => audit.record({ type: `client.${change.kind}`, outcome: 'success', subject: change.clientId, details: change.details }),
    clock,
    cacheTtlMs,
    ...(deps.validateClientMetadata ? { validateMetadata: deps.validateClientMetadata } : {}),
  });
  const keys = createKeyService({
    signingKeys: queries.signingKeys,
    keyEncryptionSecret: secrets.keyEncryptionSecret,
    clock,
    onEvent: ({ event, kid, ...details }) => audit.record({ type: event, outcome: 'success', subject: kid, details }),
    rsaModulusLength: config.rsaModulusLength,
    algorithms: config.keys.algorithms,
    policy: {
      rotationIntervalSeconds: config.keys.rotationInterval,
      publishLeadSeconds: config.keys.publishLead,
      retireAfterSeconds: config.keys.retireAfter,
    },
    revokeGrantsIssuedBetween: async (from, until) => {
      const grantIds = await queries.oidcPayloads.grantIdsWithRefreshTokensIssuedBetween(from, until);
      for (const grantId of grantIds) {
        await revokeGrantEverywhere(grantStores, grantId, { includeGrant: true });
      }
      // (sessions of those grants' users keep their cookies, but every token they could mint is gone)
      return grantIds.length;
    },
  });
  const sessions = createSessionService({
    grantsForAccount: (accountId) => queries.oidcPayloads.grantsForAccount(accountId, clock.now()),
    clientName: async (clientId) => (await clients.findMetadata(clientId))?.client_name as string | undefined,
    revokeGrant: (grantId) => revokeGrantEverywhere(grantStores, grantId, { includeGrant: true }),
    store: keyspaces.sessions,
    sessionTtlSeconds: config.ttl.session,
    onEvent: ({ type, accountId, details, actor }) => audit.record({ type, outcome: 'success', subject: accountId, actor, details }),
  });
  const notify = notifications.notify;
  const mfa = createMfaService({
    mfa: queries.mfa,
    keyEncryptionSecret: secrets.keyEncryptionSecret,
    clock,
    issuerName: new URL(config.issuer).host,
    // Every enrolment, replacement and removal (by the user or an admin) is mailed to the owner.
    // The change is committed by then: a failure to queue the mail is logged, not shown to the user.
    onChange: async ({ kind, userId }) => {
      try {
        const account = await accounts.findById(userId);
        if (account) await notify(account.email, { kind: `mfa-${kind}` });
      } catch (err) {
        logger.error({ err, event: 'mail.not_queued', notice: `mfa-${kind}` }, 'could not queue the two-factor change mail');
      }
    },
  });
  const flows = createAccountFlows({
    accounts,
    tokens: createEmailTokens({ tokens: queries.emailTokens, clock }),
    notify,
    background,
    issuer: config.issuer,
    verifyTtlSeconds: config.registration.verifyTtl,
    resetTtlSeconds: config.registration.resetTtl,
    signOutEverywhere: (accountId, options) => sessions.logoutEverywhere(accountId, options),
    audit: (type, subject, details) => audit.record({ type, outcome: 'success', subject, ...(details ? { details } : {}) }),
  });
  const rbac = createRbacService({
    rbac: queries.rbac,
    apiExists: async (identifier) => (await apis.find(identifier)) !== undefined,
    onChange: ({ type, subject, actor, details }) => audit.record({ type, outcome: 'success', subject, ...(actor ? { actor } : {}), details }),
    clock,
    cacheTtlMs,
  });
  const passkeys = createPasskeyService({
    passkeys: queries.passkeys,
    challenges: keyspaces.webauthnChallenges,
    rp: { id: config.passkeys.rpId, name: config.theme.productName, origins: config.passkeys.origins },
    clock,
    counterPolicy: config.passkeys.counterRegression,
  });
  const accountAdministration = createAccountAdministration({
    accounts,
    roles: {
      exists: async (name) => (await rbac.findRole(name)) !== undefined,
      grantToUser: (role, userId, { actor }) => rbac.grant(role, { kind: 'user', id: userId }, { actor }),
    },
    sessions,
    secondFactor: mfa,
    passkeys,
    notify,
    audit: (event) => audit.record({ ...event, outcome: 'success' }),
  });
  const registration = createRegistrationService({
    queries: queries.dynamicRegistration,
    clientQueries: queries.clients,
    transact: storage.transaction,
    clients,
    audit,
    clock,
    issuer: config.issuer,
    softwareStatements: { issuers: config.dcr.softwareStatementIssuers, required: config.dcr.requireSoftwareStatement },
    unusedClientTtlSeconds: config.dcr.unusedClientTtl,
  });
  const federation = createFederation({
    queries: queries.upstreamProviders,
    store: storage.keyspaces.federation,
    accounts,
    rbac: {
      directRoleNames: async (userId) => (await rbac.directRoles({ kind: 'user', id: userId })).map((role) => role.name),
      grant: (role, userId) => rbac.grant(role, { kind: 'user', id: userId }, { actor: 'federation' }),
      revoke: (role, userId) => rbac.revoke(role, { kind: 'user', id: userId }, { actor: 'federation' }),
    },
    audit,
    keyEncryptionSecret: secrets.keyEncryptionSecret,
    issuer: config.issuer,
    // Upstreams on http:// only where Gatehouse itself runs on http:// (development, tests).
    allowInsecureHttp: !config.production && config.issuer.startsWith('http://'),
    clock,
    cacheTtlMs,
  });
  const signIn = createSignIn({
    accounts,
    flows,
    mfa,
    security,
    rolesOf: (accountId) => rbac.allRoleNames({ kind: 'user', id: accountId }),
    audit,
    notify,
    requireVerifiedEmail: config.registration.requireVerifiedEmail,
    mfaRequiredRoles: config.mfaRequiredRoles,
    passkeyRequiredRoles: config.passkeys.requiredRoles,
    passkeys,
    accountsById: accounts,
    federation,
  });
  const accountChanges = createAccountChanges({ accounts, flows, mfa, security, audit });
  const passkeyChanges = createPasskeyChanges({ passkeys, mfa, audit, notify });
  const webhooks = createWebhookService({
    webhooks: queries.webhooks,
    keyEncryptionSecret: secrets.keyEncryptionSecret,
    clock,
    allowHttp: config.webhooks.allowHttp,
    onChange: ({ type, webhookId, actor, details }) => audit.record({ type, outcome: 'success', subject: webhookId, actor, details }),
  });
  const sessionActivity = createSessionActivity({ sessions: keyspaces.sessions, clock, idleTimeoutSeconds: config.ttl.sessionIdle, sessionTtlSeconds: config.ttl.session });
  return {
    accounts,
    accountAdministration,
    accountChanges,
    apis,
    audit,
    background,
    clients,
    federation,
    flows,
    keys,
    mailer,
    mfa,
    notifications,
    passkeyChanges,
    passkeys,
    security,
    sessionActivity,
    sessions,
    signIn,
    rbac,
    registration,
    webhooks,
  };
}

export type Services = ReturnType<typeof buildServices>;
