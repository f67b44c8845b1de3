import assert from 'node:assert/strict';
import { test } from 'node:test';
import { systemClock } from '../../../src/clock.ts';
import type { WebhookQueries } from '../../../src/storage/queries/webhooks.ts';
import { createWebhookService } from '../../../src/webhooks/index.ts';
import { afterFailure, MAX_RETRY_DELAY_SECONDS, retryDelaySeconds } from '../../../src/webhooks/retry.ts';

/** Nothing is stored: these checks refuse before any query runs. */
const unreachable = new Proxy({}, { get: () => () => assert.fail('no query for refused input') }) as unknown as WebhookQueries;
const service = (allowHttp: boolean) => createWebhookService({ webhooks: unreachable, keyEncryptionSecret: new Uint8Array(32), clock: systemClock, allowHttp });

test('receivers must be https: unless GATEHOUSE_WEBHOOKS_ALLOW_HTTP; no credentials in the URL; event types are checked', async () => {
  await assert.rejects(service(false).create({ url: 'http://siem.example/hook', events: ['signin.blocked'] }), /url: must be https: \(GATEHOUSE_WEBHOOKS_ALLOW_HTTP=true/);
  await assert.rejects(service(true).create({ url: 'ftp://siem.example/hook', events: ['signin.blocked'] }), /url: must be https: or http:/);
  await assert.rejects(service(false).create({ url: 'https://u:p@siem.example/hook', events: ['signin.blocked'] }), /must not carry credentials/);
  await assert.rejects(service(false).create({ url: 'https://siem.example/hook', events: ['signin blocked'] }), /not an event type: signin blocked/);
  await assert.rejects(service(false).create({ url: 'https://siem.example/hook', events: [' '] }), /at least one event type/);
});

test('retries back off exponentially from the base, capped at 6 h, and stop after the last attempt', () => {
  assert.deepEqual(
    [1, 2, 3, 4].map((attempts) => retryDelaySeconds(attempts, 30)),
    [30, 60, 120, 240],
  );
  assert.equal(retryDelaySeconds(30, 30), MAX_RETRY_DELAY_SECONDS);
  assert.equal(afterFailure(9, 10), 'retry');
  assert.equal(afterFailure(10, 10), 'dead');
});
