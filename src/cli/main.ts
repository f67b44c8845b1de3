#!/usr/bin/env node
/**
 * `gatehouse` — the operator CLI. Every command builds the same services as the server.
 * Secrets are read from stdin (or a prompt), never from argv, so they stay out of shell history
 * and process listings. Exit codes: 0 ok, 1 failure, 2 usage error.
 */
import { ConfigError, loadConfigFromProcess } from '../config.ts';
import { GatehouseError } from '../errors.ts';
import { createLogger } from '../logger.ts';
import { EmbeddedDataDirBusy } from '../storage/index.ts';
import { apisCommand } from './commands/apis.ts';
import { clientsCommand } from './commands/clients.ts';
import { keysCommand } from './commands/keys.ts';
import { migrateCommand } from './commands/migrate.ts';
import { usersCommand } from './commands/users.ts';
import { type CommandContext, openContext, UsageError } from './context.ts';

const COMMANDS: Record<string, (ctx: CommandContext, args: string[]) => Promise<void>> = {
  migrate: migrateCommand,
  clients: clientsCommand,
  apis: apisCommand,
  users: usersCommand,
  keys: keysCommand,
};

const USAGE = `Usage: gatehouse <command> [options]

  migrate                                   apply database migrations
  users create --email E --password-stdin [--verified] [--role R]... [--name N]
  users list [--json]
  clients create --name N --type public|confidential --grant-types a,b [--redirect-uris u,v]
                 [--post-logout-redirect-uris u] [--scopes s,t] [--resources r]
                 [--auth-method client_secret_basic|client_secret_post|private_key_jwt|none]
                 [--jwks-uri U] [--json]
  clients list [--json]
  clients delete CLIENT_ID
  apis create --identifier URL --name N [--scopes a,b] [--access-token-ttl SECONDS] [--json]
  apis list [--json]
  keys list [--json]

Environment: the same variables as the server (DATABASE_URL, REDIS_URL, GATEHOUSE_DATA_DIR, ...).`;

async function run(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`gatehouse: unknown command "${name}"\n\n${USAGE}\n`);
    return 2;
  }
  const config = loadConfigFromProcess();
  const ctx = await openContext(config, createLogger({ level: process.env.LOG_LEVEL ?? 'warn' }));
  try {
    await command(ctx, args);
    return 0;
  } finally {
    await ctx.close();
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`gatehouse: ${error.message}\n`);
      process.exit(2);
    }
    const known =
      error instanceof ConfigError || error instanceof GatehouseError || error instanceof EmbeddedDataDirBusy;
    process.stderr.write(`gatehouse: ${known ? (error as Error).message : String((error as Error)?.message ?? error)}\n`);
    process.exit(1);
  },
);
