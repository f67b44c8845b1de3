/**
 * Sends what the outbox holds: claims due deliveries (SKIP LOCKED, so instances share the work
 * without sending one twice at once), posts each signed event, and records the outcome — done,
 * retry later (retry.ts), or dead letter. Run by the `webhooks.deliver` job.
 *
 * What leaves Gatehouse: the audit event (identifiers and reasons, never secrets or tokens —
 * the audit trail's own rule) and the signature headers. What is logged: the delivery id, the
 * webhook id, the receiver's status or the network error — never the body or the secret.
 */
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import { unseal } from '../sealing.ts';
import type { ClaimedDelivery, HookEventRow, WebhookQueries } from '../storage/queries/webhooks.ts';
import { afterFailure, retryDelaySeconds } from './retry.ts';
import { signatureHeader } from './signature.ts';

/** Deliveries claimed per round; a round repeats while it finds a full batch. */
const BATCH = 50;
const MAX_ERROR_LENGTH = 300;
/** Finished deliveries (sent or dead) are kept this long for operators to look at, then deleted. */
export const FINISHED_RETENTION_DAYS = 30;

/** Fetch as the delivery needs it (the server passes one that applies the private-network policy). */
export type HookFetch = (url: string, init: RequestInit) => Promise<Response>;

/** The JSON body a receiver gets: Standard Webhooks' `{ type, timestamp, data }` plus the event id. */
export function eventBody(event: HookEventRow, eventId: string): string {
  return JSON.stringify({
    id: eventId,
    type: event.type,
    timestamp: new Date(event.occurred_at).toISOString(),
    data: {
      outcome: event.outcome,
      actor: event.actor,
      subject: event.subject,
      ip: event.ip,
      userAgent: event.user_agent,
      requestId: event.request_id,
      details: typeof event.details === 'string' ? JSON.parse(event.details) : event.details,
    },
  });
}

export function createWebhookDelivery(deps: {
  webhooks: Pick<WebhookQueries, 'claimDue' | 'delivered' | 'retryLater' | 'dead' | 'deleteFinishedBefore'>;
  keyEncryptionSecret: Uint8Array;
  clock: Clock;
  logger: Logger;
  fetch: HookFetch;
  /** True when an error means the receiver's address was refused by policy: no retry can help. */
  isPolicyRefusal?: (error: unknown) => boolean;
  maxAttempts: number;
  retryBaseSeconds: number;
  timeoutSeconds: number;
}) {
  const { webhooks, clock, logger } = deps;
  const secrets = new Map<string, Promise<string>>();
  const secretOf = (sealed: string) => {
    let secret = secrets.get(sealed);
    if (!secret) {
      secret = unseal(sealed, deps.keyEncryptionSecret);
      secrets.set(sealed, secret);
    }
    return secret;
  };

  /** One attempt: undefined when the receiver took it, else why not (and whether to stop trying). */
  async function send(delivery: ClaimedDelivery, event: HookEventRow, signal: AbortSignal): Promise<{ error: string; final: boolean } | undefined> {
    const id = `evt_${event.id}`;
    const timestamp = Math.floor(clock.now().getTime() / 1000);
    const body = eventBody(event, id);
    try {
      const response = await deps.fetch(delivery.subscription.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Gatehouse-Webhooks/1',
          'webhook-id': id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signatureHeader(await secretOf(delivery.subscription.secret_jwe), { id, timestamp, body }),
        },
        body,
        // A redirect could point anywhere: receivers answer where they were registered.
        redirect: 'manual',
        signal: AbortSignal.any([signal, AbortSignal.timeout(deps.timeoutSeconds * 1000)]),
      });
      await response.body?.cancel();
      if (response.status >= 200 && response.status < 300) return undefined;
      return { error: `receiver answered HTTP ${response.status}`, final: false };
    } catch (error) {
      if (deps.isPolicyRefusal?.(error)) {
        return {
          error: 'refused: the receiver resolves to a loopback, private or link-local address (GATEHOUSE_OUTBOUND_ALLOW_PRIVATE)',
          final: true,
        };
      }
      const cause = (error as { cause?: { message?: string; code?: string } }).cause;
      const message = error instanceof Error ? error.message : String(error);
      return { error: cause?.code ?? cause?.message ?? message, final: false };
    }
  }

  async function settle(delivery: ClaimedDelivery, outcome: { error: string; final: boolean } | undefined): Promise<'delivered' | 'retried' | 'dead'> {
    const now = clock.now();
    if (!outcome) {
      await webhooks.delivered(delivery.id, now);
      return 'delivered';
    }
    const error = outcome.error.slice(0, MAX_ERROR_LENGTH);
    const decision = outcome.final ? 'dead' : afterFailure(delivery.attempts, deps.maxAttempts);
    logger.warn(
      { event: 'webhook.delivery_failed', delivery: delivery.id, webhook: delivery.subscription.id, attempts: delivery.attempts, error, next: decision },
      'webhook delivery failed',
    );
    if (decision === 'dead') {
      await webhooks.dead(delivery.id, now, error);
      return 'dead';
    }
    await webhooks.retryLater(delivery.id, new Date(now.getTime() + retryDelaySeconds(delivery.attempts, deps.retryBaseSeconds) * 1000), error);
    return 'retried';
  }

  return {
    /** Sends every delivery due now; counts of what happened. Stops between batches on `signal`. */
    async deliverDue(signal: AbortSignal): Promise<{ delivered: number; retried: number; dead: number; removed: number }> {
      const counts = { delivered: 0, retried: 0, dead: 0, removed: 0 };
      // One bounded batch of old finished rows per run keeps the table small without a job of its own.
      counts.removed = await webhooks.deleteFinishedBefore(new Date(clock.now().getTime() - FINISHED_RETENTION_DAYS * 86_400_000), 1000);
      for (;;) {
        const now = clock.now();
        // The lease outlasts one attempt: a crashed sender's claim comes back after it.
        const leaseUntil = new Date(now.getTime() + (deps.timeoutSeconds + 60) * 1000);
        const claimed = await webhooks.claimDue(now, leaseUntil, BATCH);
        const outcomes = await Promise.all(
          claimed.map(async (delivery) => {
            if (!delivery.event) return settle(delivery, { error: 'the event was pruned from the audit trail before it could be delivered', final: true });
            return settle(delivery, await send(delivery, delivery.event, signal));
          }),
        );
        for (const outcome of outcomes) counts[outcome] += 1;
        if (claimed.length < BATCH || signal.aborted) return counts;
      }
    },
  };
}

export type WebhookDelivery = ReturnType<typeof createWebhookDelivery>;
