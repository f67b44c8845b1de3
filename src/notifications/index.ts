/**
 * Every mail Gatehouse sends to a user, in one place: the notice (what happened), its words in
 * the recipient's language (the locale stored on the account; mail/templates.ts renders HTML and
 * plain text), and delivery through the outbox.
 *
 * `notify` only queues: one insert into `mail_outbox` (body sealed — reset and verification links
 * are credentials until used). Delivery happens off the request path: at once when the server
 * runs the deliverer, then with retries (doubling from 30 s, up to an hour between attempts,
 * dropped with an error log after 12 attempts). A failing SMTP server never reaches the person
 * whose action caused the mail, and a request costs the same whether a mail was queued or not.
 *
 * @example
 * await notifications.notify(account.email, { kind: 'password-changed' });
 */
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import type { Mailer } from '../mail/index.ts';
import type { MailTemplates } from '../mail/templates.ts';
import { seal, unseal } from '../sealing.ts';
import type { MailOutboxQueries } from '../storage/queries/mail-outbox.ts';

export type Notice =
  | { kind: 'verify-email'; link: string; hours: number }
  | { kind: 'already-registered'; resetLink: string }
  | { kind: 'reset-password'; link: string; minutes: number }
  | { kind: 'password-reset-done' }
  | { kind: 'password-changed' }
  | { kind: 'signin-backoff' }
  | { kind: 'recovery-code-used'; left: number }
  | { kind: 'mfa-enrolled' }
  | { kind: 'mfa-replaced' }
  | { kind: 'mfa-removed' };

const MAX_ATTEMPTS = 12;
const BATCH = 20;
/** A claimed mail is not retried by anyone for this long (a send in progress, or a crash mid-send). */
const LEASE_SECONDS = 300;

export const retryDelaySeconds = (attempts: number) => Math.min(30 * 2 ** Math.max(0, attempts - 1), 3600);

/** What the outbox keeps, sealed: both parts of the mail (rows queued before HTML mails hold the text alone). */
const sealedBody = (mail: { text: string; html: string }) => JSON.stringify({ text: mail.text, html: mail.html });
function openedBody(body: string): { text: string; html?: string } {
  if (body.startsWith('{"text":')) {
    const parsed = JSON.parse(body) as { text: string; html?: string };
    return parsed.html === undefined ? { text: parsed.text } : { text: parsed.text, html: parsed.html };
  }
  return { text: body };
}

export function createNotifications(deps: {
  outbox: MailOutboxQueries;
  mailer: Mailer;
  templates: MailTemplates;
  /** The account behind an address, if any: its mail language and its name (the greeting). */
  recipient?: (email: string) => Promise<{ locale: string | null; name: string | null } | undefined>;
  keyEncryptionSecret: Uint8Array;
  clock: Clock;
  logger: Logger;
}) {
  const { outbox, clock, logger } = deps;
  let started = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;

  async function deliverBatch(): Promise<number> {
    const now = clock.now();
    const due = await outbox.claimDue(now, new Date(now.getTime() + LEASE_SECONDS * 1000), BATCH);
    for (const row of due) {
      try {
        const body = openedBody(await unseal(row.body_jwe, deps.keyEncryptionSecret));
        await deps.mailer.send({ to: row.recipient, subject: row.subject, ...body });
        await outbox.delivered(row.id);
      } catch (error) {
        const reason = error instanceof Error ? `${(error as { code?: string }).code ?? error.name}: ${error.message}`.slice(0, 300) : 'unknown error';
        if (row.attempts >= MAX_ATTEMPTS) {
          await outbox.delivered(row.id);
          logger.error({ event: 'mail.dropped', outboxId: row.id, attempts: row.attempts, reason }, 'mail dropped after the last attempt');
        } else {
          await outbox.retryLater(row.id, new Date(clock.now().getTime() + retryDelaySeconds(row.attempts) * 1000), reason);
          logger.warn({ event: 'mail.retry', outboxId: row.id, attempts: row.attempts, reason }, 'mail delivery failed; will retry');
        }
      }
    }
    return due.length;
  }

  /** Delivers everything due now (one run at a time per process; a kick during a run runs again). */
  function kick(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        while ((await deliverBatch()) === BATCH) {
          // a full batch: more may be waiting
        }
      } while (again);
    })()
      .catch((err: unknown) => logger.error({ err }, 'mail delivery run failed'))
      .finally(() => {
        running = undefined;
      });
    return running;
  }

  return {
    /**
     * Queues the mail for `notice`; returns once it is stored, never waits for SMTP — unless
     * `waitForDelivery` (work that already runs after the response, or an operator's command
     * that should not exit before its mails went out): then it returns after one delivery
     * attempt, whatever its outcome (a failure stays queued for the retries).
     */
    async notify(to: string, notice: Notice, options: { locale?: string; waitForDelivery?: boolean } = {}): Promise<void> {
      const { kind, ...data } = notice;
      const account = await deps.recipient?.(to);
      const mail = deps.templates(kind, data, options.locale ?? account?.locale ?? undefined, { name: account?.name });
      await outbox.enqueue({ recipient: to, subject: mail.subject, bodyJwe: await seal(sealedBody(mail), deps.keyEncryptionSecret, 'mail'), now: clock.now() });
      if (options.waitForDelivery) await kick();
      else if (started) void kick();
    },

    /** One delivery run now (the periodic run calls the same; tests call it after moving the clock). */
    deliverDue: () => kick(),

    /** Delivers on every notify and every `pollSeconds` (retries); the server starts it, the CLI does not. */
    start(pollSeconds: number): void {
      started = true;
      timer = setInterval(() => void kick(), pollSeconds * 1000);
      timer.unref();
      void kick();
    },

    async stop(): Promise<void> {
      started = false;
      clearInterval(timer);
      await running;
    },

    pending: () => outbox.pending(),
  };
}

export type Notifications = ReturnType<typeof createNotifications>;
