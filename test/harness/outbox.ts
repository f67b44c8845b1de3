import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestServer } from './server.ts';

export interface SentMail {
  to: string;
  subject: string;
  text: string;
  /** The HTML part (every user mail has one). */
  html?: string;
}

/**
 * Waits for the mail the server has queued so far to be delivered: work that runs after a
 * response (the password-reset request) first, then one delivery run of the outbox. No polling:
 * both are the server's own promises.
 */
export async function mailDelivered(server: TestServer): Promise<void> {
  await server.gatehouse.services.background.drain();
  await server.gatehouse.services.notifications.deliverDue();
}

/** Mails in the outbox folder (`GATEHOUSE_DATA_DIR/outbox`, no SMTP), oldest first, after everything queued was delivered. */
export async function outboxMails(server: TestServer, dataDir: string, to?: string): Promise<SentMail[]> {
  await mailDelivered(server);
  const dir = join(dataDir, 'outbox');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as SentMail)
    .filter((mail) => to === undefined || mail.to === to.toLowerCase());
}
