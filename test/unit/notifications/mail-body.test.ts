/**
 * Issue #21.5: the outbox keeps both parts of a mail in its sealed body, looks up the recipient's
 * stored language and name, and still delivers a row queued before mails had an HTML part (the
 * text alone), so an upgrade with mail in the queue loses nothing. The outbox here is a list in
 * memory (its SQL is exercised by every mail test over HTTP).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { systemClock } from '../../../src/clock.ts';
import { VIEWS_DIR } from '../../../src/http/views.ts';
import { createLogger } from '../../../src/logger.ts';
import type { Mail } from '../../../src/mail/index.ts';
import { createMailTemplates } from '../../../src/mail/templates.ts';
import { createNotifications } from '../../../src/notifications/index.ts';
import { seal } from '../../../src/sealing.ts';
import type { MailOutboxQueries, OutboxRow } from '../../../src/storage/queries/mail-outbox.ts';

function memoryOutbox() {
  const rows: OutboxRow[] = [];
  const outbox: MailOutboxQueries = {
    enqueue: async (row) => {
      rows.push({ id: String(rows.length + 1), recipient: row.recipient, subject: row.subject, body_jwe: row.bodyJwe, attempts: 0 });
    },
    claimDue: async () => rows.splice(0).map((row) => ({ ...row, attempts: row.attempts + 1 })),
    delivered: async () => undefined,
    retryLater: async () => undefined,
    pending: async () => rows.length,
  };
  return { rows, outbox };
}

test('a mail is queued with both parts in the stored language, and a row queued before HTML mails still goes out as text', async () => {
  const secret = randomBytes(32);
  const { rows, outbox } = memoryOutbox();
  const sent: Mail[] = [];
  const notifications = createNotifications({
    outbox,
    mailer: { send: async (mail) => void sent.push(mail) },
    templates: createMailTemplates({ theme: { productName: 'Gatehouse', logoUrl: undefined, primaryColor: '#1f5fbf' }, issuer: 'https://id.example.com', viewsDir: VIEWS_DIR }),
    recipient: async (email) => (email === 'kenji@example.com' ? { locale: 'ja', name: 'Kenji' } : undefined),
    keyEncryptionSecret: secret,
    clock: systemClock,
    logger: createLogger({ level: 'silent' }),
  });

  await notifications.notify('kenji@example.com', { kind: 'password-changed' });
  await notifications.notify('nobody@example.com', { kind: 'password-changed' });
  rows.push({ id: 'old', recipient: 'old@example.com', subject: 'Your password was changed', body_jwe: await seal('The old plain text.\n', secret, 'mail'), attempts: 0 });
  assert.ok(!rows.some((row) => row.body_jwe.includes('Kenji')), 'the body is sealed');
  await notifications.deliverDue();

  const [kenji, nobody, old] = sent;
  assert.equal(kenji?.subject, 'パスワードが変更されました');
  assert.ok(kenji?.text.startsWith('Kenji 様'), 'the stored name and language');
  assert.match(kenji?.html ?? '', /<html lang="ja">/);
  assert.equal(nobody?.subject, 'Your password was changed', 'no account behind the address: the server default');
  assert.deepEqual(old, { to: 'old@example.com', subject: 'Your password was changed', text: 'The old plain text.\n' });
});
