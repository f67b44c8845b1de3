/**
 * A minimal SMTP server on loopback (RFC 5321, just what nodemailer's client needs) whose
 * behaviour the test sets: accept mail, refuse it with a temporary error, or hold every new
 * connection without a greeting until released — a stalled MTA. Received mails are kept (the
 * quoted-printable body decoded) for the test to read.
 */
import { createServer, type Socket } from 'node:net';

export type SmtpMode = 'accept' | 'refuse' | 'hold';

export interface ReceivedMail {
  to: string[];
  data: string;
}

const decodeQuotedPrintable = (text: string) => text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_match, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));

export async function startSmtpServer() {
  let mode: SmtpMode = 'accept';
  const received: ReceivedMail[] = [];
  const held: Array<() => void> = [];
  const sockets = new Set<Socket>();
  let connections = 0;

  const converse = (socket: Socket) => {
    socket.write('220 test-mta ESMTP\r\n');
    let buffer = '';
    let inData = false;
    let current: ReceivedMail = { to: [], data: '' };
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      for (let end = buffer.indexOf('\r\n'); end >= 0; end = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            received.push({ ...current, data: decodeQuotedPrintable(current.data) });
            current = { to: [], data: '' };
            socket.write('250 2.0.0 queued\r\n');
          } else current.data += `${line.startsWith('..') ? line.slice(1) : line}\n`;
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') socket.write('250-test-mta\r\n250 8BITMIME\r\n');
        else if (verb === 'MAIL') socket.write(mode === 'refuse' ? '451 4.3.0 try again later\r\n' : '250 2.1.0 ok\r\n');
        else if (verb === 'RCPT') {
          current.to.push(/<([^>]*)>/.exec(line)?.[1] ?? '');
          socket.write('250 2.1.5 ok\r\n');
        } else if (verb === 'DATA') {
          inData = true;
          socket.write('354 go ahead\r\n');
        } else if (verb === 'RSET' || verb === 'NOOP') socket.write('250 2.0.0 ok\r\n');
        else if (verb === 'QUIT') socket.end('221 2.0.0 bye\r\n');
        else socket.write('502 5.5.2 not implemented\r\n');
      }
    });
  };

  const server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (mode === 'hold') held.push(() => converse(socket));
    else converse(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    /** Connections opened so far (a held one counts from the moment it is accepted). */
    connections: () => connections,
    setMode(next: SmtpMode) {
      mode = next;
    },
    /** Greets every held connection (and stops holding new ones). */
    release() {
      mode = mode === 'hold' ? 'accept' : mode;
      for (const greet of held.splice(0)) greet();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
