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
import { adminSocketPath, sendToAdminSocket } from './admin-socket.ts';
import { COMMANDS, needsSecret, USAGE } from './commands.ts';
import { openContext, readSecret, UsageError } from './context.ts';

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
  if (needsSecret(argv) && !argv.includes('--password-stdin') && !process.stdin.isTTY) {
    throw new UsageError('pass --password-stdin and pipe the password, or run in a terminal to be prompted');
  }
  const config = loadConfigFromProcess();
  const secret = needsSecret(argv) ? await readSecret('Password: ') : undefined;

  // Embedded mode with the server running: the server owns the data directory and runs the command.
  if (config.storage.kind === 'embedded') {
    const reply = await sendToAdminSocket(adminSocketPath(config.storage.dataDir), { argv, ...(secret !== undefined ? { secret } : {}) });
    if (reply) {
      process.stdout.write(reply.stdout);
      process.stderr.write(reply.stderr);
      return reply.exitCode;
    }
  }

  const ctx = await openContext(config, createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel }));
  try {
    await command({ ...ctx, readSecret: async (prompt) => secret ?? readSecret(prompt) }, args);
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
    const known = error instanceof ConfigError || error instanceof GatehouseError || error instanceof EmbeddedDataDirBusy;
    process.stderr.write(`gatehouse: ${known ? (error as Error).message : String((error as Error)?.message ?? error)}\n`);
    process.exit(1);
  },
);
