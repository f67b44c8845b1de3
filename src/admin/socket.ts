/**
 * The admin socket: how the CLI on this machine reaches the running server, in either storage
 * mode. One admin request per connection — a JSON line `{ method, path, query, body }` — and one
 * JSON line back, `{ status, body }`: the same route records and handlers as /admin/v1
 * (dispatch.ts), run as the operator.
 *
 * Whoever can connect is an operator, so the socket must never be reachable by another user, not
 * even for the moment between bind() and a chmod: it lives in its own directory of mode 0700 owned
 * by this process's user, and bind() runs under umask 0177, so the socket is created 0600.
 */
import { chmodSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from '../logger.ts';
import type { AdminRequest, AdminResponse } from './dispatch.ts';
import { problemBody } from './dispatch.ts';

export function adminSocketPath(dataDir: string): string {
  return join(resolve(dataDir), 'run', 'admin.sock');
}

export class AdminSocketRefused extends Error {
  override name = 'AdminSocketRefused';
}

/** Creates (or tightens) the socket's directory: a real directory, ours, mode 0700. */
function privateDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  if (!stat.isDirectory()) throw new AdminSocketRefused(`${dir} is not a directory (a symlink is refused)`);
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) {
    throw new AdminSocketRefused(`${dir} belongs to uid ${stat.uid}, not to this process (uid ${uid})`);
  }
  if ((stat.mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
}

/** True when a server already answers on `path` (another instance sharing the data directory). */
function answering(path: string): Promise<boolean> {
  return new Promise((done) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      done(true);
    });
    probe.once('error', () => done(false));
  });
}

/** Binds with umask 0177 so the socket file is born 0600; bind() is synchronous for a path. */
function listenPrivately(server: Server, path: string): Promise<void> {
  return new Promise((done, fail) => {
    server.once('error', fail);
    const previous = process.umask(0o177);
    try {
      server.listen(path, () => {
        server.off('error', fail);
        done();
      });
    } finally {
      process.umask(previous);
    }
  });
}

function parseRequest(raw: string): AdminRequest | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const request = value as Partial<AdminRequest> | null;
  if (!request || typeof request.method !== 'string' || typeof request.path !== 'string' || !request.path.startsWith('/')) return undefined;
  const query = request.query ?? {};
  if (typeof query !== 'object' || Object.values(query).some((entry) => typeof entry !== 'string')) return undefined;
  return { method: request.method, path: request.path, query: query as Record<string, string>, body: request.body };
}

export interface AdminSocket {
  path: string;
  close(): Promise<void>;
}

/**
 * Serves admin requests on `path`, or returns undefined when another live instance already
 * serves there (instances sharing a data directory in services mode: the CLI reaches one of them,
 * and they share the database).
 */
export async function serveAdminSocket(deps: {
  path: string;
  dispatch: (request: AdminRequest) => Promise<AdminResponse>;
  logger: Logger;
  maxRequestBytes: number;
}): Promise<AdminSocket | undefined> {
  const { path, logger } = deps;
  privateDirectory(dirname(path));
  if (await answering(path)) {
    logger.info({ path }, 'another instance serves the admin socket here; not opening one');
    return undefined;
  }
  rmSync(path, { force: true });

  const server = createServer((socket) => {
    let raw = '';
    let handled = false;
    const reply = (response: AdminResponse) => socket.end(`${JSON.stringify(response)}\n`);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      if (handled) return;
      raw += chunk;
      if (Buffer.byteLength(raw) > deps.maxRequestBytes) {
        handled = true;
        reply({ status: 413, body: problemBody(413, 'the request is too large') });
        return;
      }
      const end = raw.indexOf('\n');
      if (end === -1) return;
      handled = true;
      const request = parseRequest(raw.slice(0, end));
      if (!request) {
        reply({ status: 400, body: problemBody(400, 'not an admin request: one JSON line { method, path, query, body }') });
        return;
      }
      deps.dispatch(request).then(reply, (error: unknown) => {
        logger.error({ err: error }, 'admin socket request failed');
        reply({ status: 500, body: problemBody(500, 'internal error; the server log has the details') });
      });
    });
    socket.on('error', () => socket.destroy());
  });
  await listenPrivately(server, path);
  // Closing unlinks the socket file (libuv does, by name).
  return { path, close: () => new Promise<void>((done) => server.close(() => done())) };
}
