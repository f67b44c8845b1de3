import { z } from 'zod';
import { normalizeEmail } from '../../accounts/email.ts';
import type { Services } from '../../services.ts';
import { adminRoute, ok } from '../route.ts';

export const auditEvent = z
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
  return [
    adminRoute({
      method: 'get',
      path: '/audit-events',
      operationId: 'queryAuditEvents',
      summary: 'Audit events, newest first',
      tag: 'Audit',
      query: z.object({
        type: z.string().max(100).optional().describe('Only events of this type, e.g. signin.failure.'),
        subject: z.string().max(300).optional().describe('Only events about this subject (a user id, client id, kid, …).'),
        actor: z.string().max(300).optional().describe('Only events caused by this actor.'),
        user: z
          .string()
          .max(254)
          .optional()
          .describe('Only events about the user with this email: by account id, or by the email for events from before the account existed.'),
        since: z.iso.datetime({ offset: true }).optional().describe('Only events at or after this time (RFC 3339).'),
        until: z.iso.datetime({ offset: true }).optional().describe('Only events before this time (RFC 3339).'),
        limit: z.coerce.number().int().min(1).max(200).default(50).describe('Events per page (1–200).'),
        cursor: z.string().regex(/^\d{1,19}$/).optional().describe('`nextCursor` of the previous page.'),
      }),
      responses: {
        200: { description: 'A page of events', schema: z.object({ items: z.array(auditEvent), nextCursor: z.string().nullable() }) },
      },
      async handle({ query }) {
        // Queued events are written first, so a caller sees what it just caused.
        await services.audit.flush();
        const { user, cursor, since, until, ...filter } = query;
        // Events about an account are keyed by its id once it exists, by the typed email before.
        const subject = user ? ((await services.accounts.findByEmail(user))?.id ?? normalizeEmail(user)) : filter.subject;
        const rows = await services.audit.query({
          ...filter,
          ...(subject ? { subject } : {}),
          ...(cursor ? { beforeId: cursor } : {}),
          ...(since ? { since: new Date(since) } : {}),
          ...(until ? { until: new Date(until) } : {}),
        });
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
    adminRoute({
      method: 'post',
      path: '/audit-events/verification',
      operationId: 'verifyAuditChain',
      summary: 'Walk the hash chain: is any event edited, removed or reordered? (the check is itself audited)',
      tag: 'Audit',
      responses: {
        200: {
          description: 'The verdict: `ok` with the number of events checked, or the first broken event and why',
          schema: z
            .object({
              ok: z.boolean(),
              checked: z.number().int().describe('Events verified (before the broken one, if any).'),
              brokenAt: z.string().nullable().describe('Id of the first event that does not verify; null when intact.'),
              reason: z.string().nullable(),
            })
            .meta({ id: 'AuditVerification' }),
        },
      },
      async handle({ principal }) {
        const report = await services.audit.verify({ actor: principal.subject });
        return ok(report.ok ? { ok: true, checked: report.checked, brokenAt: null, reason: null } : report);
      },
    }),
    adminRoute({
      method: 'post',
      path: '/audit-events/pruning',
      operationId: 'pruneAuditEvents',
      summary: 'Retention: delete events older than the given days; a checkpoint keeps the rest verifiable',
      tag: 'Audit',
      body: z.object({
        days: z.number().int().min(1).optional().describe('Keep this many days of events; default GATEHOUSE_AUDIT_RETENTION_DAYS.'),
      }),
      responses: {
        200: {
          description: 'How many events were deleted',
          schema: z.object({ removed: z.number().int(), days: z.number().int() }),
        },
      },
      async handle({ body, principal }) {
        const days = body.days ?? services.audit.retentionDays;
        return ok({ removed: await services.audit.prune(days, { actor: principal.subject }), days });
      },
    }),
  ];
}
