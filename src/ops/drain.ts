/**
 * Graceful shutdown of the HTTP server. On SIGTERM, in this order:
 *
 * 1. `/readyz` answers 503 at once, so the load balancer stops choosing this instance;
 * 2. the listening socket closes: new connections are refused (a refused connect is safe for any
 *    client to retry elsewhere, unlike a reset);
 * 3. requests in flight finish, and every response from now on carries `Connection: close`, so a
 *    kept-alive connection ends after its current response instead of being cut under a request;
 * 4. idle kept-alive connections are left to their keep-alive timeout (which clients know from the
 *    `Keep-Alive` header and stop reusing before it) rather than cut now, when a request may already
 *    be on the wire — that race is what resets requests in a naive shutdown.
 *
 * `begin` resolves true once the last connection closed, or false if the grace period ran out
 * first (the remaining connections are then destroyed).
 */
import type { Server, ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';

export interface Drain {
  isDraining(): boolean;
  /** Call once, before the server listens. */
  track(server: Server): void;
  begin(graceMs: number): Promise<boolean>;
}

export function createDrain(): Drain {
  let draining = false;
  let server: Server | undefined;
  const inFlight = new Set<ServerResponse>();
  return {
    isDraining: () => draining,
    track(tracked) {
      server = tracked;
      tracked.prependListener('request', (_req, res: ServerResponse) => {
        if (draining) {
          res.setHeader('Connection', 'close');
          return;
        }
        inFlight.add(res);
        res.once('close', () => inFlight.delete(res));
      });
    },
    begin(graceMs) {
      draining = true;
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
      inFlight.clear();
      const tracked = server;
      if (!tracked) return Promise.resolve(true);
      return new Promise((resolve) => {
        const deadline = setTimeout(() => {
          tracked.closeAllConnections();
          resolve(false);
        }, graceMs);
        deadline.unref();
        // net.Server#close, not http.Server#close: the latter also cuts idle kept-alive connections
        // at once (step 4 above says why not). The callback runs when the last connection is gone.
        NetServer.prototype.close.call(tracked, () => {
          clearTimeout(deadline);
          resolve(true);
        });
      });
    },
  };
}
