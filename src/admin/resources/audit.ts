import { z } from 'zod';
import type { Services } from '../../services.ts';
import { adminRoute, ok } from '../route.ts';

const auditEvent = z
  .object({
    id: z.string(),
    occurredAt: z.iso.datetime(),
    type: z.string(),
    outcome: z.string(),
    actor: z.string().nullable(),
    subject: z.string().nullable(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    requestId: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'AuditEvent' });

export function auditRoutes(services: Services) {
  const { audit } = services;
  return [
    adminRoute({
      method: 'get',
      path: '/audit-events',
      operationId: 'queryAuditEvents',
      summary: 'Audit events, newest first',
      tag: 'Audit',
      query: z.object({
        type: z.string().max(100).optional(),
        subject: z.string().max(300).optional(),
        actor: z.string().max(300).optional(),
        limit: z.coerce.number().int().min(1).max(200).default(50),
        cursor: z.string().regex(/^\d{1,19}$/).optional().describe('`nextCursor` of the previous page.'),
      }),
      responses: {
        200: { description: 'A page of events', schema: z.object({ items: z.array(auditEvent), nextCursor: z.string().nullable() }) },
      },
      async handle({ query }) {
        // Queued events are written first, so a caller sees what it just caused.
        await audit.flush();
        const rows = await audit.query({ ...query, ...(query.cursor ? { beforeId: query.cursor } : {}) });
        const items = rows.map((row) => ({
          id: String(row.id),
          occurredAt: new Date(row.occurred_at).toISOString(),
          type: row.type,
          outcome: row.outcome,
          actor: row.actor,
          subject: row.subject,
          ip: row.ip,
          userAgent: row.user_agent,
          requestId: row.request_id,
          details: row.details,
        }));
        return ok({ items, nextCursor: items.length === query.limit ? (items.at(-1)?.id ?? null) : null });
      },
    }),
  ];
}
