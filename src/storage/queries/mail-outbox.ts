import type { Knex } from 'knex';
import { translated } from '../pg-errors.ts';

export interface OutboxRow {
  id: string;
  recipient: string;
  subject: string;
  body_jwe: string;
  attempts: number;
}

export function createMailOutboxQueries(db: Knex) {
  return {
    enqueue: (row: { recipient: string; subject: string; bodyJwe: string; now: Date }) =>
      translated(db('mail_outbox').insert({ recipient: row.recipient, subject: row.subject, body_jwe: row.bodyJwe, next_attempt_at: row.now })).then(
        () => undefined,
      ),

    /**
     * Claims up to `limit` mails that are due: their next attempt moves to `leaseUntil` and the
     * attempt is counted, so another instance (or a crash mid-send) never sends one twice at once.
     */
    claimDue: async (now: Date, leaseUntil: Date, limit: number): Promise<OutboxRow[]> =>
      (await translated(
        db('mail_outbox')
          .whereIn('id', db('mail_outbox').select('id').where('next_attempt_at', '<=', now).orderBy('id').limit(limit).forUpdate().skipLocked())
          .update({ next_attempt_at: leaseUntil, attempts: db.raw('attempts + 1') })
          .returning(['id', 'recipient', 'subject', 'body_jwe', 'attempts']),
      )) as OutboxRow[],

    delivered: (id: string) => translated(db('mail_outbox').where({ id }).delete()).then(() => undefined),

    retryLater: (id: string, at: Date, error: string) =>
      translated(db('mail_outbox').where({ id }).update({ next_attempt_at: at, last_error: error })).then(() => undefined),

    pending: async (): Promise<number> => Number((await translated(db('mail_outbox').count({ n: '*' }).first()))?.n ?? 0),
  };
}

export type MailOutboxQueries = ReturnType<typeof createMailOutboxQueries>;
