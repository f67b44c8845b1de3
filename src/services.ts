/**
 * The one object graph: every domain service built from config, storage, clock and logger.
 * Used alike by the server (main.ts), the CLI and the tests.
 */
import { createAccountService, createPasswordHasher } from './accounts/index.ts';
import { createApiService } from './apis/index.ts';
import { createClientService } from './clients/index.ts';
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import { createKeyService } from './keys/index.ts';
import type { Logger } from './logger.ts';
import type { Storage } from './storage/index.ts';

export interface Secrets {
  keyEncryptionSecret: Uint8Array;
  cookieKeys: readonly string[];
}

export function buildServices(deps: { config: Config; storage: Storage; clock: Clock; logger: Logger; secrets: Secrets }) {
  const { config, storage, clock, logger, secrets } = deps;
  const { queries } = storage;
  const accounts = createAccountService({ users: queries.users, hasher: createPasswordHasher(config.passwordHashing) });
  const apis = createApiService({ apis: queries.apis });
  const clients = createClientService({
    clients: queries.clients,
    apiExists: async (identifier) => (await apis.find(identifier)) !== undefined,
  });
  const keys = createKeyService({
    signingKeys: queries.signingKeys,
    keyEncryptionSecret: secrets.keyEncryptionSecret,
    clock,
    logger,
    rsaModulusLength: config.rsaModulusLength,
  });
  return { accounts, apis, clients, keys };
}

export type Services = ReturnType<typeof buildServices>;
