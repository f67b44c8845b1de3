import { type ParseArgsConfig, parseArgs } from 'node:util';
import { systemClock } from '../clock.ts';
import type { Config } from '../config.ts';
import { resolveSecrets } from '../gatehouse.ts';
import type { Logger } from '../logger.ts';
import { buildServices, type Services } from '../services.ts';
import { migrateToLatest, openStorage, type Storage } from '../storage/index.ts';

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface CommandContext {
  config: Config;
  storage: Storage;
  /** Migrations applied while opening (every command migrates first, under the advisory lock). */
  appliedMigrations: string[];
  services: Services;
  logger: Logger;
  out(text: string): void;
  /** The secret a command needs (a password): from stdin, a prompt, or the CLI that sent the command. */
  readSecret(prompt: string): Promise<string>;
  close(): Promise<void>;
}

export async function openContext(config: Config, logger: Logger): Promise<CommandContext> {
  const storage = await openStorage(config);
  let appliedMigrations: string[];
  try {
    appliedMigrations = await migrateToLatest(storage.db);
  } catch (error) {
    await storage.close();
    throw error;
  }
  const services = buildServices({ config, storage, clock: systemClock, logger, secrets: resolveSecrets(config) });
  return {
    config,
    storage,
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

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** `90`, `90s`, `15m`, `24h`, `7d` → seconds. */
export function durationSeconds(value: string, flag: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(value.trim());
  if (!match) throw new UsageError(`${flag} must be a duration like 90s, 15m, 24h or 7d`);
  return Number(match[1]) * UNIT_SECONDS[(match[2] || 's') as keyof typeof UNIT_SECONDS];
}

/** Reads a secret from piped stdin, or prompts without echo on a terminal. */
export async function readSecret(prompt: string): Promise<string> {
  const { stdin } = process;
  if (stdin.isTTY) {
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    let value = '';
    return new Promise((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        for (const char of chunk.toString('utf8')) {
          if (char === '\r' || char === '\n') {
            stdin.setRawMode(false);
            stdin.off('data', onData);
            stdin.pause();
            process.stderr.write('\n');
            resolve(value);
            return;
          }
          if (char === '\u0003') {
            stdin.setRawMode(false);
            reject(new UsageError('cancelled'));
            return;
          }
          value = char === '\u007f' ? value.slice(0, -1) : value + char;
        }
      };
      stdin.on('data', onData);
      stdin.resume();
    });
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export function table(rows: Array<Record<string, unknown>>): string {
  if (rows.length === 0) return '(none)';
  const headers = Object.keys(rows[0] ?? {});
  const cells = rows.map((row) => headers.map((header) => String(row[header] ?? '')));
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((row) => (row[i] ?? '').length)));
  const line = (values: string[]) => values.map((value, i) => value.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}
