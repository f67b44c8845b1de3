/**
 * Event hooks: audit events delivered to operator-configured webhooks, filtered by type, signed
 * (signature.ts), at least once with an event id for de-duplication, retried with exponential
 * backoff (retry.ts) and dead-lettered after the configured attempts.
 *
 * The outbox row of each (event, subscription) is written in the audit row's own transaction
 * (storage/queries/webhooks.ts); the `webhooks.deliver` job drains it (delivery.ts).
 *
 * @example
 * const { webhook, secret } = await webhooks.create({ url: 'https://siem.example/hook', events: ['signin.blocked'] }, { actor });
 * // `secret` is shown once; it is kept sealed, since signing needs it back.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { Conflict, NotFound, ValidationFailed } from '../errors.ts';
import { seal } from '../sealing.ts';
import type { DeliveryStatus, WebhookDeliveryRow, WebhookQueries, WebhookSubscriptionRow } from '../storage/queries/webhooks.ts';
import { newSigningSecret } from './signature.ts';

export { createWebhookDelivery, type WebhookDelivery } from './delivery.ts';
export { signatureHeader } from './signature.ts';

/** The media type of a sealed signing secret (sealing.ts `cty`). */
export const SECRET_CONTENT_TYPE = 'webhook-secret';

/** An audit event type (`signin.blocked`), or `*` for every type. */
const EVENT_TYPE = /^(\*|[a-z][a-z0-9_]*(\.[a-z0-9_]+)+)$/;
const MAX_EVENTS = 100;
const MAX_URL_LENGTH = 2000;

export interface Webhook {
  id: string;
  url: string;
  events: string[];
  description: string;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface WebhookDeliveryView {
  id: string;
  webhookId: string;
  /** The event id every attempt carries (`webhook-id`): receivers de-duplicate on it. */
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date | null;
  lastError: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

/** The id receivers see for an audit event (header `webhook-id`, body `id`). */
export const eventIdOf = (auditEventId: string) => `evt_${auditEventId}`;

const view = (row: WebhookSubscriptionRow): Webhook => ({
  id: row.id,
  url: row.url,
  events: row.events,
  description: row.description,
  enabled: row.enabled,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const deliveryView = (row: WebhookDeliveryRow): WebhookDeliveryView => ({
  id: row.id,
  webhookId: row.subscription_id,
  eventId: eventIdOf(row.audit_event_id),
  eventType: row.event_type,
  status: row.status,
  attempts: row.attempts,
  nextAttemptAt: row.status === 'pending' ? row.next_attempt_at : null,
  lastError: row.last_error,
  createdAt: row.created_at,
  finishedAt: row.finished_at,
});

export function createWebhookService(deps: {
  webhooks: WebhookQueries;
  keyEncryptionSecret: Uint8Array;
  clock: Clock;
  /** `http:` receivers accepted (GATEHOUSE_WEBHOOKS_ALLOW_HTTP). */
  allowHttp: boolean;
  onChange?: (change: { type: string; webhookId: string; actor: string | undefined; details: Record<string, unknown> }) => void;
}) {
  const { webhooks, clock } = deps;

  function checkedUrl(url: string): string {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ValidationFailed(['url: not a URL']);
    }
    if (url.length > MAX_URL_LENGTH) throw new ValidationFailed([`url: at most ${MAX_URL_LENGTH} characters`]);
    const schemes = deps.allowHttp ? ['https:', 'http:'] : ['https:'];
    if (!schemes.includes(parsed.protocol)) {
      throw new ValidationFailed([
        deps.allowHttp ? 'url: must be https: or http:' : 'url: must be https: (GATEHOUSE_WEBHOOKS_ALLOW_HTTP=true accepts http: receivers)',
      ]);
    }
    if (parsed.username || parsed.password) throw new ValidationFailed(['url: must not carry credentials (the signature authenticates each delivery)']);
    if (parsed.hash) throw new ValidationFailed(['url: must not have a #fragment']);
    return parsed.href;
  }

  function checkedEvents(events: readonly string[]): string[] {
    const unique = [...new Set(events.map((event) => event.trim()).filter(Boolean))];
    if (unique.length === 0) throw new ValidationFailed(['events: at least one event type (or * for every type)']);
    if (unique.length > MAX_EVENTS) throw new ValidationFailed([`events: at most ${MAX_EVENTS}`]);
    const bad = unique.filter((event) => !EVENT_TYPE.test(event));
    if (bad.length > 0) throw new ValidationFailed([`events: not an event type: ${bad.join(', ')} (e.g. signin.blocked, or * for every type)`]);
    return unique.sort();
  }

  async function found(id: string): Promise<WebhookSubscriptionRow> {
    const row = await webhooks.findSubscription(id);
    if (!row) throw new NotFound(`webhook ${id}`);
    return row;
  }

  return {
    /** A new subscription and its signing secret, which is returned here and never again. */
    async create(
      input: { url: string; events: readonly string[]; description?: string | undefined; enabled?: boolean | undefined },
      options: { actor?: string | undefined } = {},
    ): Promise<{ webhook: Webhook; secret: string }> {
      const now = clock.now();
      const secret = newSigningSecret();
      const row: WebhookSubscriptionRow = {
        id: `wh_${randomBytes(12).toString('hex')}`,
        url: checkedUrl(input.url),
        events: checkedEvents(input.events),
        description: input.description ?? '',
        secret_jwe: await seal(secret, deps.keyEncryptionSecret, SECRET_CONTENT_TYPE),
        enabled: input.enabled ?? true,
        created_at: now,
        updated_at: now,
      };
      await webhooks.insertSubscription(row);
      deps.onChange?.({ type: 'webhook.created', webhookId: row.id, actor: options.actor, details: { url: row.url, events: row.events } });
      return { webhook: view(row), secret };
    },

    list: async (page: { after?: string | undefined; limit: number }) => {
      const rows = await webhooks.listSubscriptions({ after: page.after, limit: page.limit + 1 });
      const items = rows.slice(0, page.limit).map(view);
      return { items, next: rows.length > page.limit ? items.at(-1)?.id : undefined };
    },

    find: async (id: string): Promise<Webhook> => view(await found(id)),

    /** Changes the given fields; `rotateSecret` replaces the signing secret and returns the new one. */
    async update(
      id: string,
      patch: { url?: string | undefined; events?: readonly string[] | undefined; description?: string | undefined; enabled?: boolean | undefined; rotateSecret?: boolean | undefined },
      options: { actor?: string | undefined } = {},
    ): Promise<{ webhook: Webhook; secret: string | null }> {
      await found(id);
      const secret = patch.rotateSecret ? newSigningSecret() : null;
      const row = await webhooks.updateSubscription(id, {
        ...(patch.url !== undefined ? { url: checkedUrl(patch.url) } : {}),
        ...(patch.events !== undefined ? { events: checkedEvents(patch.events) } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
        ...(secret ? { secret_jwe: await seal(secret, deps.keyEncryptionSecret, SECRET_CONTENT_TYPE) } : {}),
        updated_at: clock.now(),
      });
      if (!row) throw new NotFound(`webhook ${id}`);
      const changed = Object.keys(patch).filter((key) => patch[key as keyof typeof patch] !== undefined);
      deps.onChange?.({ type: 'webhook.updated', webhookId: id, actor: options.actor, details: { changed } });
      return { webhook: view(row), secret };
    },

    async delete(id: string, options: { actor?: string | undefined } = {}): Promise<void> {
      if (!(await webhooks.deleteSubscription(id))) throw new NotFound(`webhook ${id}`);
      deps.onChange?.({ type: 'webhook.deleted', webhookId: id, actor: options.actor, details: {} });
    },

    /** Deliveries newest first: `status: 'dead'` is the dead-letter view. */
    deliveries: async (filter: { status?: DeliveryStatus | undefined; webhookId?: string | undefined; beforeId?: string | undefined; limit: number }) => {
      const rows = await webhooks.listDeliveries({
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.webhookId ? { subscriptionId: filter.webhookId } : {}),
        ...(filter.beforeId ? { beforeId: filter.beforeId } : {}),
        limit: filter.limit + 1,
      });
      const items = rows.slice(0, filter.limit).map(deliveryView);
      return { items, next: rows.length > filter.limit ? items.at(-1)?.id : undefined };
    },

    /** A dead delivery queued again (same event id, fresh attempts), due now. */
    async redeliver(deliveryId: string, options: { actor?: string | undefined } = {}): Promise<WebhookDeliveryView> {
      const row = await webhooks.redeliver(deliveryId, clock.now());
      if (!row) {
        const existing = await webhooks.findDelivery(deliveryId);
        if (!existing) throw new NotFound(`delivery ${deliveryId}`);
        throw new Conflict(`delivery ${deliveryId} is ${existing.status}: only a dead delivery can be redelivered`);
      }
      deps.onChange?.({ type: 'webhook.redelivery_queued', webhookId: row.subscription_id, actor: options.actor, details: { delivery: row.id } });
      return deliveryView(row);
    },
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
