/**
 * For local commands that need the services themselves (an importer, say): storage opened and
 * migrated, the same object graph as the server, closed after. Operator actions do not use this:
 * they are admin operations (operations/), sent through the admin API.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { systemClock } from '../clock.ts';
import type { Config } from '../config.ts';
import { resolveSecrets } from '../dev-secrets.ts';
import { createLogger, type Logger } from '../logger.ts';
import { buildServices, type Secrets, type Services } from '../services.ts';
import { migrateToLatest, openStorage, type Storage } from '../storage/index.ts';
import { EXIT } from './exit-codes.ts';
import type { LocalCommand } from './local-command.ts';
import { table as alignedTable } from './output.ts';
import { readSecret } from './secret-input.ts';
import { unavailableIfKnown } from './unavailable.ts';
import { UsageError } from './usage-error.ts';

export { durationSeconds } from './durations.ts';
export { readSecret } from './secret-input.ts';
export { UsageError } from './usage-error.ts';

export interface CommandContext {
  config: Config;
  storage: Storage;
  /** Migrations applied while opening (under the advisory lock). */
  appliedMigrations: string[];
  services: Services;
  /** The secrets the services were built with (the in-process job set needs the key-encryption one). */
  secrets: Secrets;
  logger: Logger;
  out(text: string): void;
  readSecret(prompt: string): Promise<string>;
  close(): Promise<void>;
}

/** The CLI logs warnings and worse by default: info lines (each audit event) would bury its output. */
export const quietLevel = (config: Config) => (config.logLevel === 'info' ? 'warn' : config.logLevel);

export async function openContext(config: Config, logger: Logger): Promise<CommandContext> {
  const storage = await openStorage(config);
  let appliedMigrations: string[];
  try {
    appliedMigrations = await migrateToLatest(storage.db);
  } catch (error) {
    await storage.close();
    throw error;
  }
  const secrets = resolveSecrets(config);
  const services = buildServices({ config, storage, clock: systemClock, logger, secrets });
  return {
    config,
    storage,
    secrets,
    appliedMigrations,
    services,
    logger,
    out: (text) => process.stdout.write(`${text}\n`),
    readSecret,
    close: async () => {
      await services.audit.flush();
      await storage.close();
    },
  };
}

/**
 * A local command written against the services, as a LocalCommand's `run`: the context (storage,
 * migrations, services) is opened around it and closed after.
 */
export function withContext(run: (ctx: CommandContext, argv: string[]) => Promise<void>): LocalCommand['run'] {
  return async ({ config, argv, out }) => {
    const ctx = await openContext(config, createLogger({ level: quietLevel(config) })).catch((error: unknown) => {
      throw unavailableIfKnown(error, config);
    });
    try {
      await run({ ...ctx, out }, argv);
      return EXIT.ok;
    } finally {
      await ctx.close();
    }
  };
}

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

export function required(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`${flag} is required`);
  return value;
}

/** Rows as a table, one column per key of the first row. */
export function table(rows: Array<Record<string, unknown>>): string {
  const headers = Object.keys(rows[0] ?? {});
  return alignedTable(rows, Object.fromEntries(headers.map((header) => [header, (row: Record<string, unknown>) => row[header]])));
}
