import type { Knex } from 'knex';
import * as core from './001_core.ts';
import * as audit from './002_audit.ts';
import * as mfa from './003_mfa.ts';
import * as emailTokens from './004_email_tokens.ts';
import * as rolesGroups from './005_roles_groups.ts';
import * as dynamicRegistration from './006_dynamic_registration.ts';
import * as refreshRotation from './007_refresh_rotation.ts';
import * as mfaEnrolmentsMailOutbox from './008_mfa_enrolments_mail_outbox.ts';
import * as djangoImport from './009_django_import.ts';
import * as tokenExchange from './010_token_exchange.ts';
import * as jobRuns from './012_job_runs.ts';
import * as upstreamProviders from './013_upstream_providers.ts';
import * as apiCredentials from './014_api_credentials.ts';
import * as webhooks from './019_webhooks.ts';
import * as userLocale from './022_user_locale.ts';

/** Every migration, in order. Listed explicitly so the same list runs on PGlite and Postgres. */
export const migrations: ReadonlyArray<{ name: string; module: Knex.Migration }> = [
  { name: '001_core', module: core },
  { name: '002_audit', module: audit },
  { name: '003_mfa', module: mfa },
  { name: '004_email_tokens', module: emailTokens },
  { name: '005_roles_groups', module: rolesGroups },
  { name: '006_dynamic_registration', module: dynamicRegistration },
  { name: '007_refresh_rotation', module: refreshRotation },
  { name: '008_mfa_enrolments_mail_outbox', module: mfaEnrolmentsMailOutbox },
  { name: '009_django_import', module: djangoImport },
  { name: '010_token_exchange', module: tokenExchange },
  { name: '012_job_runs', module: jobRuns },
  { name: '013_upstream_providers', module: upstreamProviders },
  { name: '014_api_credentials', module: apiCredentials },
  { name: '019_webhooks', module: webhooks },
  { name: '022_user_locale', module: userLocale },
];
