/**
 * The audit trail: append-only, hash-chained rows in Postgres, and one pino line per event.
 * Events are buffered and written in batches (one lock, one transaction), off the request path;
 * `flush()` drains the buffer and runs on shutdown, so a graceful stop loses nothing.
 *
 * @example
 * audit.record({ type: 'signin.failure', outcome: 'failure', subject: email, ip, details: { reason: 'bad_password' } });
 * const report = await audit.verify(); // { ok: true, checked } or { ok: false, brokenAt, reason }
 */
import { deleteInBatches } from '../batched-deletion.ts';
import type { Clock } from '../clock.ts';
import { ValidationFailed } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { type AuditQueries, type AuditRow, GENESIS_HASH } from '../storage/queries/audit-events.ts';
import { chainHash } from './chain.ts';

export type AuditOutcome = 'success' | 'failure' | 'info';

export interface AuditEvent {
  type: string;
  outcome: AuditOutcome;
  actor?: string | undefined;
  subject?: string | undefined;
  ip?: string | undefined;
  userAgent?: string | undefined;
  requestId?: string | undefined;
  /** Never secrets, passwords, codes or tokens: identifiers and reasons only. */
  details?: Record<string, unknown>;
}

export type VerifyReport = { ok: true; checked: number } | { ok: false; checked: number; brokenAt: string; reason: string };

const FLUSH_INTERVAL_MS = 100;
const MAX_BATCH = 200;
/** Rows per prune transaction when the caller does not say (the CLI's `audit prune`). */
const DEFAULT_PRUNE_BATCH = 5000;

export function createAuditTrail(deps: {
  events: AuditQueries;
  clock: Clock;
  logger: Logger;
  observe?: (event: AuditEvent) => void;
  /** What `prune()` keeps when no age is given (GATEHOUSE_AUDIT_RETENTION_DAYS). */
  retentionDays?: number;
}) {
  const { events, clock, logger } = deps;
  let buffer: Parameters<AuditQueries['appendChained']>[0][number][] = [];
  let flushing: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  const flush = (): Promise<void> => {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    flushing = flushing.then(async () => {
      while (buffer.length > 0) {
        const batch = buffer.slice(0, MAX_BATCH);
        try {
          await events.appendChained(batch, chainHash);
          buffer = buffer.slice(batch.length);
        } catch (error) {
          // Keep the events and retry on the next flush: the store may be briefly unavailable.
          logger.error({ err: error, pending: buffer.length }, 'audit write failed; will retry');
          timer ??= setTimeout(() => void flush(), 1000);
          timer.unref();
          return;
        }
      }
    });
    return flushing;
  };

  function record(event: AuditEvent): void {
    const row = {
      occurred_at: clock.now(),
      type: event.type,
      outcome: event.outcome,
      actor: event.actor ?? null,
      subject: event.subject ?? null,
      ip: event.ip ?? null,
      user_agent: event.userAgent?.slice(0, 512) ?? null,
      request_id: event.requestId ?? null,
      details: event.details ?? {},
    };
    buffer.push(row);
    deps.observe?.(event);
    logger[event.outcome === 'failure' ? 'warn' : 'info'](
      { event: event.type, audit: true, outcome: event.outcome, actor: row.actor, subject: row.subject, ip: row.ip, requestId: row.request_id, details: row.details },
      event.type,
    );
    if (buffer.length >= MAX_BATCH) void flush();
    else if (!timer) {
      timer = setTimeout(() => void flush(), FLUSH_INTERVAL_MS);
      timer.unref();
    }
  }

  /** Walks the whole chain; reports the first row whose link or hash does not match. */
  async function walk(): Promise<VerifyReport> {
    const checkpoint = await events.latestCheckpoint();
    let prev = checkpoint?.last_pruned_hash ?? GENESIS_HASH;
    let afterId = checkpoint?.pruned_through_id ? String(checkpoint.pruned_through_id) : '0';
    let checked = 0;
    for (;;) {
      const rows = await events.page(afterId, 1000);
      for (const row of rows) {
        if (row.prev_hash !== prev) return { ok: false, checked, brokenAt: String(row.id), reason: 'link to the previous row is broken (a row was removed or reordered)' };
        if (chainHash(prev, row) !== row.hash) return { ok: false, checked, brokenAt: String(row.id), reason: 'row content does not match its hash (edited)' };
        prev = row.hash;
        checked += 1;
        afterId = String(row.id);
      }
      if (rows.length < 1000) return { ok: true, checked };
    }
  }

  return {
    record,
    flush,
    /** The configured retention (GATEHOUSE_AUDIT_RETENTION_DAYS), what `prune()` keeps by default. */
    retentionDays: deps.retentionDays,

    /**
     * Walks the whole chain (queued events written first). With an `actor` (an operator's check),
     * the result is itself recorded: a broken chain is a security event a SIEM should see.
     */
    async verify(options: { actor?: string } = {}): Promise<VerifyReport> {
      await flush();
      const report = await walk();
      if (options.actor) {
        record({
          type: 'audit.verified',
          outcome: report.ok ? 'success' : 'failure',
          actor: options.actor,
          details: report.ok ? { checked: report.checked } : { checked: report.checked, brokenAt: report.brokenAt, reason: report.reason },
        });
      }
      return report;
    },

    query: (filter: { type?: string; subject?: string; actor?: string; beforeId?: string; since?: Date; until?: Date; limit?: number }): Promise<AuditRow[]> =>
      events.query({ ...filter, limit: Math.min(filter.limit ?? 50, 1000) }),

    /**
     * Retention: removes events older than `days` (default: the configured retention) in batches of
     * `batchSize` (each its own short transaction with its checkpoint, so the rest verifies after
     * every batch and appends never wait long); stops between batches when `signal` aborts. With an
     * `actor`, the pruning is recorded. Returns how many were removed.
     */
    async prune(
      days: number | undefined = deps.retentionDays,
      options: { actor?: string; batchSize?: number; signal?: AbortSignal } = {},
    ): Promise<number> {
      if (days === undefined || !Number.isInteger(days) || days < 1) throw new ValidationFailed(['days: a whole number of days, at least 1']);
      await flush();
      const throughId = await events.lastIdBefore(new Date(clock.now().getTime() - days * 86_400_000));
      const batchSize = options.batchSize ?? DEFAULT_PRUNE_BATCH;
      const removed =
        throughId === undefined
          ? 0
          : (await deleteInBatches((limit) => events.pruneThrough(throughId, limit, clock.now()), batchSize, options.signal)).rows;
      if (options.actor) record({ type: 'audit.pruned', outcome: 'success', actor: options.actor, details: { days, removed } });
      return removed;
    },
  };
}

export type AuditTrail = ReturnType<typeof createAuditTrail>;
