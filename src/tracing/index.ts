/**
 * OpenTelemetry tracing, loaded only when the OTEL_* variables turn it on (main.ts imports this
 * file dynamically; the CLI never does), so a server without tracing loads none of the SDK.
 *
 * Spans come from the official instrumentations — `http` (a server span per request, continuing an
 * incoming `traceparent`), `undici` (every fetch: back-channel logout, jwks_uri, webhooks,
 * upstream identity providers), `pg` and `ioredis` — plus manual spans around argon2
 * (tracing/spans.ts). Logs carry the active trace id (logger.ts).
 *
 * Start it before the server is built: the `pg` instrumentation patches pg's files as knex first
 * loads them.
 */
import { createRequire } from 'node:module';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Config } from '../config.ts';

export interface Tracing {
  /** Sends the spans buffered so far. */
  flush(): Promise<void>;
  /** Sends the spans still buffered, then stops. */
  shutdown(): Promise<void>;
}

/** Paths whose requests make no span: probes and scrapes would drown the traces. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

async function exporterFor(settings: NonNullable<Config['tracing']>): Promise<SpanExporter> {
  if (settings.exporter === 'console') return new (await import('@opentelemetry/sdk-trace-base')).ConsoleSpanExporter();
  if (settings.protocol === 'http/json') return new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter({ url: settings.url });
  return new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter({ url: settings.url });
}

export async function startTracing(settings: NonNullable<Config['tracing']>): Promise<Tracing> {
  const [{ NodeTracerProvider }, { BatchSpanProcessor }, { resourceFromAttributes }, { registerInstrumentations }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/instrumentation'),
  ]);
  const [{ HttpInstrumentation }, { UndiciInstrumentation }, { PgInstrumentation }, { IORedisInstrumentation }] = await Promise.all([
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-undici'),
    import('@opentelemetry/instrumentation-pg'),
    import('@opentelemetry/instrumentation-ioredis'),
  ]);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.serviceName }),
    spanProcessors: [new BatchSpanProcessor(await exporterFor(settings))],
  });
  // The global provider, the AsyncLocalStorage context manager and W3C trace context propagation.
  provider.register();
  const unregister = registerInstrumentations({
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.has((request.url ?? '').split('?')[0] ?? ''),
        // Outgoing node:http calls are the OTLP exporter's own (fetch is traced by undici's).
        ignoreOutgoingRequestHook: () => true,
      }),
      new UndiciInstrumentation(),
      // No query parameters in spans: they can be tokens, codes or emails.
      new PgInstrumentation({ enhancedDatabaseReporting: false }),
      new IORedisInstrumentation(),
    ],
  });
  // Gatehouse's ES modules imported node:http and ioredis before this ran, and ESM imports are not
  // seen by the instrumentations' require hook; requiring them now lets each instrumentation patch
  // the shared prototypes (http.Server, Redis) those imports use.
  const require = createRequire(import.meta.url);
  for (const name of ['http', 'https', 'ioredis']) require(name);
  return {
    flush: () => provider.forceFlush(),
    async shutdown() {
      unregister();
      await provider.shutdown();
    },
  };
}
