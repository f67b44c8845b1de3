/**
 * Embedded mode only. PGlite's data directory belongs to the running server, so the CLI hands
 * its command to the server over a Unix socket inside the data directory (mode 0600: only the
 * owner of the data can use it). Production (services mode) never opens this socket.
 */
import { chmodSync, existsSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { GatehouseError } from '../errors.ts';
import { COMMANDS } from './commands.ts';
import { type CommandContext, UsageError } from './context.ts';

interface Request {
  argv: string[];
  secret?: string;
}
interface Reply {
  exitCode: number;
  stdout: string;
  stderr: string;
}

const MAX_REQUEST_BYTES = 64 * 1024;

export function adminSocketPath(dataDir: string): string {
  return join(resolve(dataDir), 'gatehouse.sock');
}

export async function serveAdminSocket(
  path: string,
  context: (io: { out(text: string): void; secret: string | undefined }) => Omit<CommandContext, 'close'>,
): Promise<Server> {
  rmSync(path, { force: true });
  const server = createServer((socket) => {
    let raw = '';
    socket.setEncoding('utf8');
    socket.on('data', async (chunk: string) => {
      raw += chunk;
      if (raw.length > MAX_REQUEST_BYTES) socket.destroy();
      if (!raw.endsWith('\n')) return;
      const reply: Reply = { exitCode: 0, stdout: '', stderr: '' };
      try {
        const request = JSON.parse(raw) as Request;
        const [name, ...args] = request.argv;
        const command = name ? COMMANDS[name] : undefined;
        if (!command) throw new UsageError(`unknown command "${name ?? ''}"`);
        const ctx = context({ out: (text) => (reply.stdout += `${text}\n`), secret: request.secret });
        await command({ ...ctx, close: async () => {} }, args);
      } catch (error) {
        reply.exitCode = error instanceof UsageError ? 2 : 1;
        reply.stderr = `gatehouse: ${error instanceof UsageError || error instanceof GatehouseError ? error.message : 'command failed'}\n`;
      }
      socket.end(`${JSON.stringify(reply)}\n`);
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((done) => server.listen(path, done));
  chmodSync(path, 0o600);
  server.on('close', () => rmSync(path, { force: true }));
  return server;
}

/** Sends a command to the running server; undefined when no server listens. */
export async function sendToAdminSocket(path: string, request: Request): Promise<Reply | undefined> {
  if (!existsSync(path)) return undefined;
  return new Promise((done, fail) => {
    const socket = connect(path);
    let raw = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => {
      raw += chunk;
    });
    socket.on('end', () => {
      try {
        done(JSON.parse(raw) as Reply);
      } catch (error) {
        fail(error);
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ECONNREFUSED' || error.code === 'ENOENT' ? done(undefined) : fail(error),
    );
  });
}
