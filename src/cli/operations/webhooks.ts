import type { OperationSpec } from '../operation-spec.ts';
import { record, table } from '../output.ts';
import { UsageError } from '../usage-error.ts';

interface Webhook {
  id: string;
  url: string;
  events: string[];
  description: string;
  enabled: boolean;
}

interface Delivery {
  id: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  status: string;
  attempts: number;
  lastError: string | null;
  createdAt: string;
}

const WEBHOOK = { name: 'WEBHOOK_ID', field: 'webhookId', description: 'The webhook’s id (wh_…).' } as const;

const shownOnce = (secret: string) => [`secret:  ${secret}`, '(shown once: give it to the receiver now to verify signatures; it cannot be shown again)'];

function showWithSecret(verb: string) {
  return (result: unknown) => {
    const { webhook, secret } = result as { webhook: Webhook; secret: string | null };
    return [`${verb} webhook ${webhook.id} → ${webhook.url} (${webhook.events.join(',')})${webhook.enabled ? '' : ' [disabled]'}`, ...(secret ? shownOnce(secret) : [])].join('\n');
  };
}

const deliveryTable = (deliveries: unknown) =>
  table(deliveries as Delivery[], {
    id: (d) => d.id,
    webhook: (d) => d.webhookId,
    event: (d) => d.eventId,
    type: (d) => d.eventType,
    status: (d) => d.status,
    attempts: (d) => d.attempts,
    created: (d) => d.createdAt,
    last_error: (d) => d.lastError,
  });

export const webhookCommands: Record<string, OperationSpec> = {
  listWebhooks: {
    command: 'webhooks list',
    paginate: true,
    examples: ['gatehouse webhooks list', 'gatehouse webhooks list --json | jq -r ".[].id"'],
    show: (hooks) =>
      table(hooks as Webhook[], { id: (h) => h.id, url: (h) => h.url, events: (h) => h.events, enabled: (h) => h.enabled, description: (h) => h.description }),
  },
  createWebhook: {
    command: 'webhooks create',
    examples: [
      'gatehouse webhooks create --url https://siem.example/hook --events refresh_token.reused,signin.blocked,mfa.disabled,key.revoked',
      'gatehouse webhooks create --url https://chat.example/hooks/security --events "*" --description "Security channel" --json | jq -r .secret',
    ],
    show: showWithSecret('created'),
  },
  getWebhook: { command: 'webhooks show', args: [WEBHOOK], examples: ['gatehouse webhooks show wh_0123456789abcdef01234567'], show: record },
  updateWebhook: {
    command: 'webhooks update',
    args: [WEBHOOK],
    hide: ['enabled', 'rotateSecret'],
    extraFlags: {
      disable: { type: 'boolean', description: 'Pause deliveries (events recorded meanwhile are not queued for this webhook).' },
      enable: { type: 'boolean', description: 'Resume deliveries.' },
      'rotate-secret': { type: 'boolean', description: 'Replace the signing secret; the new one is printed once.' },
    },
    async input(extra) {
      if (extra.enable && extra.disable) throw new UsageError('give --enable or --disable, not both');
      return {
        ...(extra.enable ? { enabled: true } : {}),
        ...(extra.disable ? { enabled: false } : {}),
        ...(extra['rotate-secret'] ? { rotateSecret: true } : {}),
      };
    },
    note: 'Only the settings given change.',
    examples: [
      'gatehouse webhooks update WEBHOOK_ID --events signin.blocked,key.revoked',
      'gatehouse webhooks update WEBHOOK_ID --disable',
      'gatehouse webhooks update WEBHOOK_ID --rotate-secret --json | jq -r .secret',
    ],
    show: showWithSecret('updated'),
  },
  deleteWebhook: {
    command: 'webhooks delete',
    args: [WEBHOOK],
    examples: ['gatehouse webhooks delete WEBHOOK_ID'],
    show: (_, { args }) => `deleted webhook ${args.WEBHOOK_ID} and its deliveries`,
  },
  listWebhookDeliveries: {
    command: 'webhooks deliveries',
    hide: ['cursor'],
    examples: ['gatehouse webhooks deliveries --status dead', 'gatehouse webhooks deliveries --webhook WEBHOOK_ID --json'],
    show: deliveryTable,
  },
  redeliverWebhookDelivery: {
    command: 'webhooks redeliver',
    args: [{ name: 'DELIVERY_ID', field: 'deliveryId', description: 'A dead delivery’s id (`gatehouse webhooks deliveries --status dead`).' }],
    examples: ['gatehouse webhooks redeliver 42'],
    show: (result) => {
      const delivery = result as Delivery;
      return `delivery ${delivery.id} (${delivery.eventId}) queued again for webhook ${delivery.webhookId}`;
    },
  },
};
