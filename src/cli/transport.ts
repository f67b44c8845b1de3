/**
 * Where the CLI's admin requests go. While a server runs on this machine, to it, over its admin
 * socket (GATEHOUSE_DATA_DIR/run/admin.sock): no storage is opened, nothing heavy is loaded, and in
 * embedded mode that is the only way in, since PGlite belongs to one process. With no server,
 * the CLI builds the same admin route records in-process against the configured database (its
 * credentials are the authority, as for `migrate`). Either way the same handler runs.
 */
import { connect } from 'node:net';
import type { AdminRequest, AdminResponse } from '../admin/dispatch.ts';
import { adminSocketPath } from '../admin/socket.ts';
import type { Config } from '../config.ts';
import { Unavailable } from './unavailable.ts';

export { Unavailable, unavailableIfKnown } from './unavailable.ts';


export interface Transport {
  /** `socket` or `in-process`, once the first request has gone out. */
  readonly via: 'socket' | 'in-process' | undefined;
  send(request: AdminRequest): Promise<AdminResponse>;
  close(): Promise<void>;
}

/** One request over the socket; undefined when no server listens there. */
export function sendOverSocket(path: string, request: AdminRequest): Promise<AdminResponse | undefined> {
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
        done(JSON.parse(raw) as AdminResponse);
      } catch {
        fail(new Unavailable('the server closed the admin socket without an answer (see its log)'));
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') return done(undefined);
      if (error.code === 'EACCES') {
        return fail(new Unavailable(`permission denied on the admin socket ${path}: run the CLI as the user that runs the server`));
      }
      fail(new Unavailable(`admin socket ${path}: ${error.message}`));
    });
  });
}

export function createTransport(config: Config): Transport {
  const socketPath = adminSocketPath(config.dataDir);
  let via: Transport['via'];
  let local: ReturnType<typeof openLocal> | undefined;
  const openLocal = async () => (await import('./in-process.ts')).openInProcess(config);
  return {
    get via() {
      return via;
    },
    async send(request) {
      if (via !== 'in-process') {
        const answer = await sendOverSocket(socketPath, request);
        if (answer) {
          via = 'socket';
          return answer;
        }
      }
      via = 'in-process';
      local ??= openLocal();
      return (await local).dispatch(request);
    },
    async close() {
      if (local) await (await local.catch(() => undefined))?.close();
    },
  };
}
