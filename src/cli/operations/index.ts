/**
 * Every admin operation's command-line shape, by operationId. A test checks that each route
 * record has exactly one entry here, so a new admin operation cannot be left out of the CLI.
 */
import type { OperationSpec } from '../operation-spec.ts';
import { apiCommands } from './apis.ts';
import { auditCommands } from './audit.ts';
import { clientCommands } from './clients.ts';
import { idpCommands } from './idps.ts';
import { initialAccessTokenCommands } from './initial-access-tokens.ts';
import { jobCommands } from './jobs.ts';
import { keyCommands } from './keys.ts';
import { roleCommands } from './roles.ts';
import { userCommands } from './users.ts';
import { webhookCommands } from './webhooks.ts';

export const OPERATION_COMMANDS: Readonly<Record<string, OperationSpec>> = {
  ...userCommands,
  ...clientCommands,
  ...apiCommands,
  ...keyCommands,
  ...auditCommands,
  ...roleCommands,
  ...initialAccessTokenCommands,
  ...jobCommands,
  ...idpCommands,
  ...webhookCommands,
};

/** The first word of each command, in the order help lists them. */
export const COMMAND_GROUPS: ReadonlyArray<readonly [string, string]> = [
  ['users', 'People: accounts, roles held, sessions, grants, second factor'],
  ['clients', 'OAuth clients: create, secrets and their rotation'],
  ['apis', 'APIs (resource servers): scopes, token lifetime and claims'],
  ['roles', 'Roles, global or per API, granted to users, clients and groups'],
  ['groups', 'Groups of users that hold roles together'],
  ['keys', 'Signing keys: list, rotate, revoke on compromise'],
  ['audit', 'The hash-chained audit trail: tail, verify, prune'],
  ['iat', 'Initial access tokens for dynamic client registration (RFC 7591)'],
  ['jobs', 'Periodic jobs (token cleanup, audit retention, key refresh): list, run once'],
  ['idp', 'Upstream identity providers: sign in with the company’s OpenID Connect / OAuth 2 provider'],
  ['webhooks', 'Event hooks: audit events sent, signed, to receivers; dead letters and redelivery'],
];
