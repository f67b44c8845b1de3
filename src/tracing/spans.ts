/**
 * Manual spans around work no instrumentation library sees (argon2 runs in libuv's threadpool).
 * Only `@opentelemetry/api` is imported: with tracing off it has no provider and every call here
 * is a no-op, so the domain code pays nothing for it.
 */
import { SpanStatusCode, trace } from '@opentelemetry/api';

const tracer = trace.getTracer('gatehouse');

/** Runs `work` inside a child span of the current one; a throw marks the span as an error. */
export function inSpan<T>(name: string, attributes: Record<string, string | number>, work: () => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await work();
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}
