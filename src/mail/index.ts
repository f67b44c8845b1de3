/**
 * Outgoing mail. With SMTP_URL: nodemailer over SMTP. Without (the embedded default): each mail
 * is written as a JSON file into the outbox folder and its subject logged, so a newcomer can
 * follow links locally and tests can read what was sent.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../logger.ts';

export interface Mail {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export interface Mailer {
  send(mail: Mail): Promise<void>;
}

export function createMailer(options: { smtpUrl: string | undefined; from: string; outboxDir: string; logger: Logger }): Mailer {
  if (options.smtpUrl) {
    const { smtpUrl } = options;
    // Loaded on the first mail: nodemailer is ~20 MB of resident memory an idle server never needs.
    let transport: Promise<{ sendMail(mail: Record<string, unknown>): Promise<unknown> }> | undefined;
    return {
      async send(mail) {
        transport ??= import('nodemailer').then(({ default: nodemailer }) => nodemailer.createTransport(smtpUrl));
        await (await transport).sendMail({ from: options.from, ...mail });
      },
    };
  }
  return {
    async send(mail) {
      mkdirSync(options.outboxDir, { recursive: true, mode: 0o700 });
      const file = join(options.outboxDir, `${Date.now()}-${randomBytes(4).toString('hex')}.json`);
      writeFileSync(file, JSON.stringify({ from: options.from, ...mail }, null, 2), { mode: 0o600 });
      options.logger.info({ event: 'mail.outbox', file, subject: mail.subject }, 'mail written to the outbox');
    },
  };
}
