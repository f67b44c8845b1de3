import type { Knex } from 'knex';
import { createApiQueries } from './apis.ts';
import { createAuditQueries } from './audit-events.ts';
import { createClientQueries } from './clients.ts';
import { createDynamicRegistrationQueries } from './dynamic-registration.ts';
import { createEmailTokenQueries } from './email-tokens.ts';
import { createImportQueries } from './imports.ts';
import { createJobQueries } from './jobs.ts';
import { createMailOutboxQueries } from './mail-outbox.ts';
import { createMfaQueries } from './mfa.ts';
import { createOidcPayloadQueries } from './oidc-payloads.ts';
import { createPasskeyQueries } from './passkeys.ts';
import { createRbacQueries } from './rbac.ts';
import { createSigningKeyQueries } from './signing-keys.ts';
import { createUpstreamProviderQueries } from './upstream-providers.ts';
import { createUserQueries } from './users.ts';
import { createWebhookQueries, enqueueDeliveries } from './webhooks.ts';

/** Every query module bound to one executor (the pool, or a transaction). */
export function createQueries(db: Knex) {
  return {
    users: createUserQueries(db),
    apis: createApiQueries(db),
    // The webhook outbox is written in each audit append's transaction: no event without its deliveries.
    auditEvents: createAuditQueries(db, { afterAppend: enqueueDeliveries }),
    clients: createClientQueries(db),
    oidcPayloads: createOidcPayloadQueries(db),
    signingKeys: createSigningKeyQueries(db),
    mfa: createMfaQueries(db),
    passkeys: createPasskeyQueries(db),
    emailTokens: createEmailTokenQueries(db),
    rbac: createRbacQueries(db),
    dynamicRegistration: createDynamicRegistrationQueries(db),
    imports: createImportQueries(db),
    mailOutbox: createMailOutboxQueries(db),
    jobs: createJobQueries(db),
    upstreamProviders: createUpstreamProviderQueries(db),
    webhooks: createWebhookQueries(db),
  };
}

export type Queries = ReturnType<typeof createQueries>;
