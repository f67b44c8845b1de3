/**
 * The kinds a configuration file holds, in the order they are created (a role names its API, a
 * group its roles, a client its APIs, a token policy its APIs); deletions run in reverse.
 *
 * Extension point: identity providers (federation) become one more kind here — a `Kind` with its
 * entry schema (upstream client secrets as references, like a client's `secret`), placed before
 * `clients` — and the file schema, plan, apply, export and docs/gatehouse-config.schema.json
 * follow from this list.
 */
import type { Kind } from '../kind.ts';
import { apiKind } from './apis.ts';
import { clientKind } from './clients.ts';
import { groupKind } from './groups.ts';
import { initialAccessTokenKind } from './initial-access-tokens.ts';
import { roleKind } from './roles.ts';

export function configKinds(issuer: string): Kind[] {
  return [apiKind(issuer), roleKind, groupKind, clientKind, initialAccessTokenKind] as unknown as Kind[];
}
