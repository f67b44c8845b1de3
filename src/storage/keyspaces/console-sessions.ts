/**
 * The admin console's server-side state: the one place these keys are spelled.
 *
 *   console-login:<state>      a sign-in in progress: PKCE verifier and where to return (10 min)
 *   console-session:<id>       the operator's session: their admin API access token, until it expires
 */
import type { KeyValueStore } from '../key-value.ts';

export const CONSOLE_PREFIXES = ['console-login:', 'console-session:'] as const;

const keys = {
  login: (state: string) => `console-login:${state}`,
  session: (id: string) => `console-session:${id}`,
};

export function createConsoleSessionKeyspace(kv: KeyValueStore) {
  return {
    startLogin: (state: string, value: string, ttlSeconds: number) => kv.set(keys.login(state), value, ttlSeconds),
    /** The sign-in started with this state, once (it is deleted as it is read). */
    async takeLogin(state: string): Promise<string | undefined> {
      const value = await kv.get(keys.login(state));
      if (value !== undefined) await kv.delete([keys.login(state)]);
      return value;
    },
    saveSession: (id: string, value: string, ttlSeconds: number) => kv.set(keys.session(id), value, ttlSeconds),
    findSession: (id: string) => kv.get(keys.session(id)),
    endSession: (id: string) => kv.delete([keys.session(id)]),
  };
}

export type ConsoleSessionKeyspace = ReturnType<typeof createConsoleSessionKeyspace>;
