import { createHash } from 'node:crypto';
import type { NewAuditRow } from '../storage/queries/audit-events.ts';

/** The fields of an audit row that its hash covers (everything but id and the links). */
export type ChainedFields = NewAuditRow;

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/** hash(n) = SHA-256(hash(n-1) ‖ canonical JSON of row n): editing or deleting any row breaks every later link. */
export function chainHash(prev: string, row: ChainedFields): string {
  const body = JSON.stringify([
    new Date(row.occurred_at).toISOString(),
    row.type,
    row.outcome,
    row.actor,
    row.subject,
    row.ip,
    row.user_agent,
    row.request_id,
    canonical(row.details),
  ]);
  return createHash('sha256').update(prev).update('\n').update(body).digest('hex');
}
