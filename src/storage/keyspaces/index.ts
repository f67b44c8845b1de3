/**
 * One module per key-value keyspace. Nothing outside this folder spells a key
 * (test/unit/storage/keyspaces.test.ts greps src/ for these prefixes and for raw store calls).
 */
import type { KeyValueStore } from '../key-value.ts';
import { CONSOLE_PREFIXES, createConsoleSessionKeyspace } from './console-sessions.ts';
import { createFederationKeyspace, FEDERATION_PREFIXES } from './federation.ts';
import { createOidcModelKeyspace, OIDC_MODEL_PREFIXES } from './oidc-models.ts';
import { createSignInThrottleKeyspace, RATE_LIMIT_PREFIXES } from './rate-limits.ts';
import { createSessionKeyspace, SESSION_PREFIXES } from './sessions.ts';
import { createWebAuthnChallengeKeyspace, WEBAUTHN_PREFIXES } from './webauthn-challenges.ts';

export const KEYSPACE_PREFIXES: readonly string[] = [...OIDC_MODEL_PREFIXES, ...SESSION_PREFIXES, ...RATE_LIMIT_PREFIXES, ...CONSOLE_PREFIXES, ...FEDERATION_PREFIXES, ...WEBAUTHN_PREFIXES];

export function createKeyspaces(kv: KeyValueStore) {
  return {
    oidcModels: createOidcModelKeyspace(kv),
    sessions: createSessionKeyspace(kv),
    signInThrottle: createSignInThrottleKeyspace(kv),
    consoleSessions: createConsoleSessionKeyspace(kv),
    federation: createFederationKeyspace(kv),
    webauthnChallenges: createWebAuthnChallengeKeyspace(kv),
  };
}

export type Keyspaces = ReturnType<typeof createKeyspaces>;
