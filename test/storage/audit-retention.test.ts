/**
 * GATEHOUSE_AUDIT_RETENTION_DAYS without an operator: the `audit.prune` job removes what is past
 * retention in batches, each leaving a checkpoint, so the trail verifies after every batch.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestClock } from '../harness/clock.ts';
import { startServer, type TestServer } from '../harness/server.ts';

const clock = createTestClock();
let server: TestServer;
before(async () => {
  server = await startServer({ clock, env: { GATEHOUSE_AUDIT_RETENTION_DAYS: '30', GATEHOUSE_JOBS_BATCH_SIZE: '10' } });
});
after(() => server.close());

test('the audit.prune job removes events past retention in batches with a checkpoint each; the rest still verifies', async () => {
  const { audit } = server.gatehouse.services;
  const { db } = server.gatehouse.storage;
  for (let i = 0; i < 25; i += 1) audit.record({ type: 'test.old', outcome: 'info', subject: `old-${i}` });
  await audit.flush();
  clock.advance(31 * 86_400);
  for (let i = 0; i < 5; i += 1) audit.record({ type: 'test.recent', outcome: 'info', subject: `recent-${i}` });
  await audit.flush();

  const old = await db('audit_events').where('occurred_at', '<', new Date(clock.now().getTime() - 30 * 86_400_000)).orderBy('id').select('id', 'hash');
  assert.ok(old.length >= 25, 'the old events (and the server’s own start-up events)');
  const hashOf = new Map(old.map((row: { id: string; hash: string }) => [String(row.id), row.hash]));
  const checkpointsBefore = Number((await db('audit_checkpoints').count({ n: '*' }))[0]?.n);

  const report = await server.gatehouse.jobs.runOnce('audit.prune');
  assert.deepEqual([report.outcome, report.outcome === 'success' && report.rows], ['success', old.length]);
  assert.deepEqual(await db('audit_events').where('type', 'test.old').pluck('id'), [], 'nothing past retention is left');
  assert.equal((await db('audit_events').where('type', 'test.recent').pluck('id')).length, 5, 'recent events stay');
  assert.deepEqual(await audit.verify(), { ok: true, checked: Number((await db('audit_events').count({ n: '*' }))[0]?.n) });

  // One checkpoint per batch of at most 10, each anchoring the chain at the row it names.
  const checkpoints = await db('audit_checkpoints').orderBy('id').offset(checkpointsBefore).select('pruned_through_id', 'last_pruned_hash');
  assert.equal(checkpoints.length, Math.ceil(old.length / 10));
  let previous = 0;
  for (const checkpoint of checkpoints) {
    const through = Number(checkpoint.pruned_through_id);
    const inBatch = old.filter((row: { id: string }) => Number(row.id) > previous && Number(row.id) <= through).length;
    assert.ok(inBatch >= 1 && inBatch <= 10, `a batch of ${inBatch} events`);
    assert.equal(checkpoint.last_pruned_hash, hashOf.get(String(checkpoint.pruned_through_id)), 'the checkpoint holds the hash of the last row it pruned');
    previous = through;
  }

  audit.record({ type: 'test.after', outcome: 'info' });
  await audit.flush();
  assert.equal((await audit.verify()).ok, true, 'new events chain onto the pruned trail');
  const again = await server.gatehouse.jobs.runOnce('audit.prune');
  assert.deepEqual([again.outcome, again.outcome === 'success' && again.rows], ['success', 0]);
});
