/**
 * SIGTERM under load (services mode: the load needs clients made by an in-process server on the
 * same database). Readiness must fail at once, requests in flight must finish, kept-alive
 * connections must close after their current response instead of being reset, new connections
 * are refused, and the process exits 0 well within its grace period.
 */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { createApi, createMachineClient } from '../harness/fixtures.ts';
import { type Chain, signInChains, tokenCall } from '../harness/refresh-load.ts';
import { startServer, type TestServer } from '../harness/server.ts';
import { clusterSecrets, type ServerProcess, startServerProcess } from '../harness/server-process.ts';

let admin: TestServer;
let instance: ServerProcess;
before(async () => {
  admin = await startServer();
  instance = await startServerProcess({ ...clusterSecrets(), LOG_LEVEL: 'info', GATEHOUSE_SHUTDOWN_GRACE_SECONDS: '60' });
});
after(async () => {
  if (instance?.child.exitCode === null) instance.child.kill('SIGKILL');
  await admin?.close();
});

interface Outcome {
  status?: number;
  /** The client-side error code when no complete response came. */
  error?: string;
  finishedAt: number;
}

/** One POST /token over a kept-alive connection of `agent`. */
function post(agent: Agent, path: string, credentials: { clientId: string; clientSecret: string }, form: Record<string, string>): Promise<Outcome & { body?: Record<string, unknown> }> {
  const url = new URL(path, instance.url);
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve) => {
    const req = request(url, {
      agent,
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': Buffer.byteLength(body),
        authorization: `Basic ${Buffer.from(`${credentials.clientId}:${credentials.clientSecret}`).toString('base64')}`,
      },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(text || '{}'), finishedAt: Date.now() }));
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message, finishedAt: Date.now() }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message, finishedAt: Date.now() }));
    req.end(body);
  });
}

test('SIGTERM under load: readiness 503 at once, no request reset, in-flight requests finish, exit 0', async () => {
  const machine = await createMachineClient(admin, await createApi(admin));
  const chains: Chain[] = await signInChains(admin, instance.url, 4);
  const agent = new Agent({ keepAlive: true, maxSockets: 12 });
  const outcomes: Outcome[] = [];
  let stopped = false;
  let warmedUp: () => void = () => {};
  const warm = new Promise<void>((resolve) => {
    warmedUp = resolve;
  });
  const record = (outcome: Outcome) => {
    outcomes.push(outcome);
    if (outcomes.filter((o) => o.status === 200).length >= 50) warmedUp();
  };
  const loops = [
    ...Array.from({ length: 8 }, async () => {
      while (!stopped) {
        const outcome = await post(agent, '/token', machine, { grant_type: 'client_credentials' });
        record(outcome);
        if (outcome.error) return;
      }
    }),
    ...chains.map(async (chain) => {
      while (!stopped) {
        const outcome = await post(agent, '/token', chain.client, { grant_type: 'refresh_token', refresh_token: chain.token });
        record(outcome);
        if (outcome.error) return;
        if (outcome.status === 200) chain.token = String(outcome.body?.refresh_token);
      }
    }),
  ];

  // A readiness probe on a connection opened before the signal, its request completed only after
  // the instance has started draining: what a load balancer's next probe would see.
  const probe = connect(Number(new URL(instance.url).port), '127.0.0.1');
  await new Promise((resolve) => probe.once('connect', resolve));
  probe.write(`GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n`);
  let probeAnswer = '';
  probe.on('data', (chunk) => (probeAnswer += chunk));
  const probeClosed = new Promise<void>((resolve) => probe.once('close', () => resolve()));

  try {
    await warm;
    const exited = new Promise<number | null>((resolve) => instance.child.once('exit', (code) => resolve(code)));
    const signalledAt = Date.now();
    instance.child.kill('SIGTERM');
    const drainDeadline = Date.now() + 30_000;
    while (!instance.output().includes('"msg":"shutting down')) {
      assert.ok(Date.now() < drainDeadline, 'the instance logs that it is shutting down');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    probe.write('\r\n');
    await probeClosed;
    assert.match(probeAnswer, /^HTTP\/1\.1 503 /, 'readiness fails at once');
    assert.match(probeAnswer, /"status":"draining"/);
    assert.match(probeAnswer, /\r\nconnection: close\r\n/i, 'and the kept-alive connection closes after this answer');

    const code = await exited;
    assert.equal(code, 0, `exit code 0: ${instance.output().slice(-800)}`);
    stopped = true;
    await Promise.all(loops);

    const errors = outcomes.filter((o) => o.error).map((o) => o.error);
    assert.deepEqual(
      errors.filter((error) => error !== 'ECONNREFUSED'),
      [],
      'no request was reset or cut: the only failures are refused new connections, which any client may retry elsewhere',
    );
    assert.deepEqual([...new Set(outcomes.filter((o) => o.status).map((o) => o.status))], [200], 'every answered request succeeded');
    assert.ok(outcomes.some((o) => o.status === 200 && o.finishedAt > signalledAt), 'requests in flight at the signal finished');
  } finally {
    stopped = true;
    agent.destroy();
    probe.destroy();
  }

  // No refresh chain was lost on the way out: each newest token works elsewhere.
  for (const chain of chains) {
    assert.equal((await tokenCall(admin.url, chain.client, { grant_type: 'refresh_token', refresh_token: chain.token })).status, 200);
  }
});
