import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy in front of Postgres or Redis that a test can cut and restore: cutting
 * drops every connection and refuses new ones, as a stopped server does, without touching the
 * machine's real services (other test files keep using them). Blackholing keeps every connection
 * open and accepts new ones but forwards nothing, in either direction, as a silent network
 * partition does; healing delivers what was held back, in order, as TCP retransmission would.
 */
export async function startTcpProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  let holding = false;
  const held: Array<() => void> = [];
  const forward = (to: Socket) => (chunk: Buffer) => {
    const write = () => {
      if (!to.destroyed) to.write(chunk);
    };
    if (holding) held.push(write);
    else write();
  };
  const listen = async () => {
    server = createServer((client) => {
      const upstream = connect(target.port, target.host);
      sockets.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop).on('data', forward(upstream));
      upstream.on('error', drop).on('close', drop).on('data', forward(client));
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  };
  await listen();
  return {
    get port() {
      return port;
    },
    /** How many connections (client and upstream sides) are open. */
    get connections() {
      return sockets.size;
    },
    /** Stops the "service": refuses new connections and kills open ones. */
    async cut() {
      held.length = 0;
      holding = false;
      await new Promise<void>((resolve) => {
        server?.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        sockets.clear();
      });
    },
    /** Starts it again on the same port. */
    restore: listen,
    /** Forwards nothing from now on, closes nothing. */
    blackhole() {
      holding = true;
    },
    /** Delivers what was held back and forwards again. */
    heal() {
      holding = false;
      for (const write of held.splice(0)) write();
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => (server?.listening ? server.close(() => resolve()) : resolve()));
    },
  };
}
