import type { Job } from './job.ts';

/**
 * Drains the webhook outbox (src/webhooks/delivery.ts). An instance job: every instance polls
 * every few seconds, and SKIP LOCKED claims share the work between them, so an event reaches its
 * receivers within seconds with no single instance in the way.
 */
export function webhookDeliveryJob(deps: {
  webhooks: { deliverDue(signal: AbortSignal): Promise<{ delivered: number; retried: number; dead: number; removed: number }> };
  intervalSeconds: number;
}): Job {
  return {
    name: 'webhooks.deliver',
    summary: 'Send due webhook deliveries (signed audit events); retry failures with backoff, dead-letter after the last attempt',
    scope: 'instance',
    intervalSeconds: deps.intervalSeconds,
    async run({ signal }) {
      const counts = await deps.webhooks.deliverDue(signal);
      return { rows: counts.delivered, details: counts };
    },
  };
}
