import { z } from 'zod';
import type { Services } from '../../services.ts';
import type { Webhook, WebhookDeliveryView } from '../../webhooks/index.ts';
import { adminRoute, created, keysetAfter, keysetPage, noContent, ok, pageOf, pageQuery } from '../route.ts';

const webhook = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.string()).describe('Audit event types delivered (`*` = every type).'),
    description: z.string(),
    enabled: z.boolean(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Webhook' });

const withSecret = z
  .object({
    webhook,
    secret: z.string().nullable().describe('The signing secret (`whsec_…`): shown once, when created or rotated; null otherwise.'),
  })
  .meta({ id: 'WebhookWithSecret' });

const delivery = z
  .object({
    id: z.string(),
    webhookId: z.string(),
    eventId: z.string().describe('The `webhook-id` every attempt of this event carries: receivers de-duplicate on it.'),
    eventType: z.string(),
    status: z.enum(['pending', 'delivered', 'dead']).describe('`dead`: every attempt failed (the dead-letter view); redeliver it once the receiver is fixed.'),
    attempts: z.number().int(),
    nextAttemptAt: z.iso.datetime().nullable(),
    lastError: z.string().nullable().describe('The receiver’s status or the network error of the last failed attempt.'),
    createdAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'WebhookDelivery' });

const iso = (date: Date | null) => (date ? new Date(date).toISOString() : null);
const webhookBody = (hook: Webhook) => ({ ...hook, createdAt: new Date(hook.createdAt).toISOString(), updatedAt: new Date(hook.updatedAt).toISOString() });
const deliveryBody = (row: WebhookDeliveryView) => ({
  ...row,
  nextAttemptAt: iso(row.nextAttemptAt),
  createdAt: new Date(row.createdAt).toISOString(),
  finishedAt: iso(row.finishedAt),
});

const webhookParams = z.object({ webhookId: z.string().min(1).max(100) });
const eventsField = z.array(z.string().max(100)).min(1).max(100);

export function webhookRoutes(services: Services) {
  return [
    adminRoute({
      method: 'get',
      path: '/webhooks',
      operationId: 'listWebhooks',
      summary: 'List webhooks (event-hook subscriptions)',
      tag: 'Webhooks',
      query: pageQuery,
      responses: { 200: { description: 'A page of webhooks', schema: pageOf(webhook) } },
      async handle({ query }) {
        const page = await services.webhooks.list({ limit: query.limit, after: keysetAfter(query.cursor) });
        return ok(keysetPage({ items: page.items.map(webhookBody), next: page.next }));
      },
    }),
    adminRoute({
      method: 'post',
      path: '/webhooks',
      operationId: 'createWebhook',
      summary: 'Subscribe a receiver URL to audit event types; answers the signing secret, once',
      tag: 'Webhooks',
      body: z.object({
        url: z.string().max(2000).describe('The receiver: https: (http: only with GATEHOUSE_WEBHOOKS_ALLOW_HTTP).'),
        events: eventsField.describe('Audit event types, e.g. refresh_token.reused, signin.blocked, mfa.disabled, key.revoked; `*` for every type.'),
        description: z.string().max(500).optional().describe('What the receiver is, for people.'),
        enabled: z.boolean().optional().describe('Deliver events (default true).'),
      }),
      responses: { 201: { description: 'The webhook and its signing secret (shown once)', schema: withSecret } },
      async handle({ body, principal }) {
        const { webhook: hook, secret } = await services.webhooks.create(body, { actor: principal.subject });
        return created({ webhook: webhookBody(hook), secret });
      },
    }),
    adminRoute({
      method: 'get',
      path: '/webhooks/{webhookId}',
      operationId: 'getWebhook',
      summary: 'One webhook',
      tag: 'Webhooks',
      params: webhookParams,
      responses: { 200: { description: 'The webhook', schema: webhook } },
      handle: async ({ params }) => ok(webhookBody(await services.webhooks.find(params.webhookId))),
    }),
    adminRoute({
      method: 'patch',
      path: '/webhooks/{webhookId}',
      operationId: 'updateWebhook',
      summary: 'Change a webhook’s URL, events, description or state, or rotate its signing secret',
      tag: 'Webhooks',
      params: webhookParams,
      body: z.object({
        url: z.string().max(2000).optional().describe('A new receiver URL.'),
        events: eventsField.optional().describe('The new list of event types (replaces the old one).'),
        description: z.string().max(500).optional().describe('What the receiver is, for people.'),
        enabled: z.boolean().optional().describe('false pauses deliveries: events recorded meanwhile are not queued for it.'),
        rotateSecret: z.boolean().optional().describe('Replace the signing secret; the new one is answered once.'),
      }),
      responses: { 200: { description: 'The webhook, and its new secret if rotated', schema: withSecret } },
      async handle({ params, body, principal }) {
        const { webhook: hook, secret } = await services.webhooks.update(params.webhookId, body, { actor: principal.subject });
        return ok({ webhook: webhookBody(hook), secret });
      },
    }),
    adminRoute({
      method: 'delete',
      path: '/webhooks/{webhookId}',
      operationId: 'deleteWebhook',
      summary: 'Delete a webhook and its pending and past deliveries',
      tag: 'Webhooks',
      params: webhookParams,
      responses: { 204: { description: 'Deleted' } },
      async handle({ params, principal }) {
        await services.webhooks.delete(params.webhookId, { actor: principal.subject });
        return noContent();
      },
    }),
    adminRoute({
      method: 'get',
      path: '/webhook-deliveries',
      operationId: 'listWebhookDeliveries',
      summary: 'Webhook deliveries, newest first; status=dead is the dead-letter view',
      tag: 'Webhooks',
      query: z.object({
        status: z.enum(['pending', 'delivered', 'dead']).optional().describe('Only deliveries in this state (`dead`: gave up after the last attempt).'),
        webhook: z.string().max(100).optional().describe('Only the deliveries of this webhook (its id).'),
        limit: z.coerce.number().int().min(1).max(200).default(50).describe('Deliveries per page (1–200).'),
        cursor: z.string().regex(/^\d{1,19}$/).optional().describe('`nextCursor` of the previous page.'),
      }),
      responses: { 200: { description: 'A page of deliveries', schema: pageOf(delivery) } },
      async handle({ query }) {
        const page = await services.webhooks.deliveries({ status: query.status, webhookId: query.webhook, beforeId: query.cursor, limit: query.limit });
        return ok({ items: page.items.map(deliveryBody), nextCursor: page.next ?? null });
      },
    }),
    adminRoute({
      method: 'post',
      path: '/webhook-deliveries/{deliveryId}/redelivery',
      operationId: 'redeliverWebhookDelivery',
      summary: 'Queue a dead delivery again (same event id, fresh attempts), due now',
      tag: 'Webhooks',
      params: z.object({ deliveryId: z.string().regex(/^\d{1,19}$/) }),
      responses: { 200: { description: 'The delivery, pending again', schema: delivery } },
      handle: async ({ params, principal }) => ok(deliveryBody(await services.webhooks.redeliver(params.deliveryId, { actor: principal.subject }))),
    }),
  ];
}
