/**
 * Tracing end to end: the SDK started as main.ts starts it, with the standard variables
 * (OTLP over HTTP/JSON), exporting to a real OTLP receiver in this process; requests made over
 * HTTP; the received traces checked span by span.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { loadConfig } from '../../../src/config.ts';
import { startTracing, type Tracing } from '../../../src/tracing/index.ts';
import { authorizationCodeFlow, createApi, createMachineClient, createUser, createWebClient, discover } from '../../harness/fixtures.ts';
import { storageMode } from '../../harness/mode.ts';
import { startServer, type TestServer } from '../../harness/server.ts';
import { waitFor } from '../../harness/wait.ts';

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** 1 internal, 2 server, 3 client. */
  kind: number;
  attributes: Record<string, unknown>;
}

/** An OTLP/HTTP receiver that decodes the JSON encoding (`OTEL_EXPORTER_OTLP_PROTOCOL=http/json`). */
async function startOtlpReceiver() {
  const spans: ReceivedSpan[] = [];
  const services = new Set<string>();
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      assert.equal(request.url, '/v1/traces');
      const message = JSON.parse(body) as {
        resourceSpans: Array<{
          resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
          scopeSpans: Array<{ spans: Array<Omit<ReceivedSpan, 'attributes'> & { attributes?: Array<{ key: string; value: Record<string, unknown> }> }> }>;
        }>;
      };
      for (const resource of message.resourceSpans) {
        const name = resource.resource.attributes.find((attribute) => attribute.key === 'service.name')?.value.stringValue;
        if (name) services.add(name);
        for (const scope of resource.scopeSpans) {
          for (const span of scope.spans) {
            const attributes = Object.fromEntries((span.attributes ?? []).map(({ key, value }) => [key, Object.values(value)[0]]));
            spans.push({ ...span, attributes });
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    services,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
let tracing: Tracing;
let server: TestServer;

before(async () => {
  receiver = await startOtlpReceiver();
  const config = loadConfig({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_SERVICE_NAME: 'gatehouse-under-test',
  });
  assert.ok(config.tracing, 'an OTLP endpoint turns tracing on');
  // Before the server is built, as main.ts does.
  tracing = await startTracing(config.tracing);
  // The webhook receiver below listens on loopback over http.
  server = await startServer({ env: { GATEHOUSE_WEBHOOKS_ALLOW_HTTP: 'true', GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: 'true' } });
});
after(async () => {
  await server?.close();
  await tracing?.shutdown();
  await receiver?.close();
});

const services = storageMode() === 'services';
const isDatabase = (span: ReceivedSpan, system: string) => span.attributes['db.system'] === system || span.attributes['db.system.name'] === system;

/** The spans of one trace once exported (polled: the batch processor sends them when flushed). */
async function traceOf(traceId: string, expect: (spans: ReceivedSpan[]) => boolean): Promise<ReceivedSpan[]> {
  const spans = () => receiver.spans.filter((span) => span.traceId === traceId);
  await waitFor(`the spans of trace ${traceId}`, async () => {
    await tracing.flush();
    return expect(spans());
  });
  return spans();
}

/** A request with our own W3C `traceparent` (node:http: not traced by this process's fetch instrumentation). */
function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; requestId: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0, requestId: String(response.headers['x-request-id']) }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

test('off unless the standard variables name an exporter or an endpoint; OTEL_SDK_DISABLED wins', () => {
  assert.equal(loadConfig({}).tracing, undefined);
  assert.equal(loadConfig({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing, undefined);
  assert.equal(loadConfig({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing, undefined);
  assert.deepEqual(loadConfig({ OTEL_TRACES_EXPORTER: 'otlp' }).tracing, {
    exporter: 'otlp',
    url: 'http://localhost:4318/v1/traces',
    protocol: 'http/protobuf',
    serviceName: 'gatehouse',
  });
});

test('a token request is one trace: the server span continues the caller’s traceparent; its log line carries the trace id', async () => {
  const api = await createApi(server, ['read']);
  const machine = await createMachineClient(server, api);
  const traceId = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  const answer = await post(`${server.url}/token`, new URLSearchParams({ grant_type: 'client_credentials', scope: 'read', resource: api }).toString(), {
    'content-type': 'application/x-www-form-urlencoded',
    authorization: `Basic ${Buffer.from(`${machine.clientId}:${machine.clientSecret}`).toString('base64')}`,
    traceparent: `00-${traceId}-${parentId}-01`,
  });
  assert.equal(answer.status, 200);

  const spans = await traceOf(traceId, (found) => found.some((span) => span.kind === 2) && (!services || found.some((span) => isDatabase(span, 'redis'))));
  const serverSpan = spans.find((span) => span.kind === 2);
  assert.ok(serverSpan);
  assert.equal(serverSpan.parentSpanId, parentId, 'the request span is a child of the caller’s span');
  assert.equal(serverSpan.attributes['http.method'] ?? serverSpan.attributes['http.request.method'], 'POST');
  assert.ok(receiver.services.has('gatehouse-under-test'), 'OTEL_SERVICE_NAME names the service');
  if (services) {
    // The token endpoint's rate limits live in Redis: their commands are children of the request.
    const redis = spans.filter((span) => isDatabase(span, 'redis'));
    assert.ok(redis.length > 0, `Redis spans in ${spans.map((span) => span.name).join(', ')}`);
  }
  const line = server.logs.find((entry) => entry.msg === 'request' && entry.requestId === answer.requestId);
  assert.ok(line, 'the request was logged');
  assert.equal(line.traceId, traceId, 'the log line carries the trace id');
});

test('a sign-in is traced: the login POST’s trace holds the argon2 verification (and its Postgres and Redis work), and its log lines the trace id', async () => {
  const client = await createWebClient(server);
  const user = await createUser(server);
  await authorizationCodeFlow(server, await discover(server, client), user);

  let argon2: ReceivedSpan | undefined;
  await waitFor('an argon2.verify span', async () => {
    await tracing.flush();
    argon2 = receiver.spans.find((span) => span.name === 'argon2.verify');
    return argon2 !== undefined;
  });
  assert.ok(argon2);
  const spans = await traceOf(argon2.traceId, (found) => found.some((span) => span.kind === 2) && (!services || found.some((span) => isDatabase(span, 'postgresql'))));
  // The verification's ancestors lead to the login request's server span.
  const byId = new Map(spans.map((span) => [span.spanId, span]));
  let ancestor = argon2.parentSpanId ? byId.get(argon2.parentSpanId) : undefined;
  while (ancestor && ancestor.kind !== 2) ancestor = ancestor.parentSpanId ? byId.get(ancestor.parentSpanId) : undefined;
  assert.ok(ancestor, `the argon2 span sits under a server span (trace: ${spans.map((span) => span.name).join(', ')})`);
  assert.equal(ancestor.attributes['http.method'] ?? ancestor.attributes['http.request.method'], 'POST');
  if (services) {
    assert.ok(spans.some((span) => isDatabase(span, 'postgresql')), 'the account lookup is a Postgres span');
    assert.ok(spans.some((span) => isDatabase(span, 'redis')), 'the sign-in limits are Redis spans');
  }
  const signedIn = server.logs.find((entry) => entry.event === 'signin.success' && entry.traceId === argon2?.traceId);
  assert.ok(signedIn, 'the sign-in’s audit line carries the trace id');
  assert.equal(typeof signedIn.requestId, 'string', 'and the request id');
});

test(
  'an outbound call is a client span of its job run, and the receiver gets its traceparent (a webhook delivery)',
  // The job sends every due delivery of its database: in services mode that outbox is shared with
  // test/protocol/webhooks/, whose receivers count attempts; so on the embedded store only.
  { skip: services ? 'needs an outbox of its own (embedded)' : false },
  async () => {
  const headers: string[] = [];
  const hookReceiver = createServer((request, response) => {
    headers.push(String(request.headers.traceparent));
    request.resume();
    request.on('end', () => response.writeHead(204).end());
  });
  await new Promise<void>((resolve) => hookReceiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(hookReceiver.address() as AddressInfo).port}/hook`;
  try {
    const { webhook } = await server.gatehouse.services.webhooks.create({ url, events: ['role.created'] });
    await server.gatehouse.services.rbac.createRole({ name: `traced-${randomBytes(4).toString('hex')}` }, { actor: 'test' });
    await server.gatehouse.services.audit.flush();
    await server.gatehouse.jobs.runOnce('webhooks.deliver');
    assert.equal(headers.length, 1, 'delivered once');
    const [, traceId, spanId] = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(headers[0] ?? '') ?? [];
    assert.ok(traceId && spanId, `a W3C traceparent: ${headers[0]}`);
    const spans = await traceOf(traceId, (found) => found.some((span) => span.spanId === spanId) && found.some((span) => span.name === 'job webhooks.deliver'));
    const client = spans.find((span) => span.spanId === spanId);
    assert.equal(client?.kind, 3, 'a client span');
    assert.equal(client?.attributes['url.full'], url);
    const job = spans.find((span) => span.name === 'job webhooks.deliver');
    assert.equal(client?.parentSpanId, job?.spanId, 'a child of the job run');
    await server.gatehouse.services.webhooks.delete(webhook.id);
  } finally {
    await new Promise<void>((resolve) => hookReceiver.close(() => resolve()));
  }
  },
);
