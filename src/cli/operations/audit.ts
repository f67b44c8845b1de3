import { EXIT } from '../exit-codes.ts';
import type { OperationSpec } from '../operation-spec.ts';
import { table } from '../output.ts';

interface AuditEvent {
  id: string;
  occurredAt: string;
  type: string;
  outcome: string;
  actor: string | null;
  subject: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

type Verification = { ok: true; checked: number } | { ok: false; checked: number; brokenAt: string; reason: string };

export const auditCommands: Record<string, OperationSpec> = {
  queryAuditEvents: {
    command: 'audit tail',
    hide: ['cursor'],
    examples: ['gatehouse audit tail --type signin.failure', 'gatehouse audit tail --user you@example.com --limit 20 --json'],
    show: (events) =>
      table(events as AuditEvent[], {
        id: (e) => e.id,
        at: (e) => e.occurredAt,
        type: (e) => e.type,
        outcome: (e) => e.outcome,
        actor: (e) => e.actor,
        subject: (e) => e.subject,
        ip: (e) => e.ip,
        details: (e) => JSON.stringify(e.details),
      }),
  },
  verifyAuditChain: {
    command: 'audit verify',
    examples: ['gatehouse audit verify || echo "the audit trail was tampered with"'],
    show: (result) => {
      const report = result as Verification;
      return report.ok
        ? `audit chain intact: ${report.checked} events verified`
        : `AUDIT CHAIN BROKEN at event ${report.brokenAt}: ${report.reason} (${report.checked} events verified before it)`;
    },
    exitCode: (result) => ((result as Verification).ok ? EXIT.ok : EXIT.failed),
  },
  pruneAuditEvents: {
    command: 'audit prune',
    examples: ['gatehouse audit prune --days 365'],
    show: (result) => {
      const { removed, days } = result as { removed: number; days: number };
      return `pruned ${removed} events older than ${days} days (a checkpoint keeps the chain verifiable)`;
    },
  },
};
