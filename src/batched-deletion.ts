import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

/** What a batched deletion did: the operator's evidence that every statement stayed small. */
export interface BatchTally {
  rows: number;
  batches: number;
  largestBatch: number;
}

/**
 * Calls `deleteBatch(limit)` until a batch comes back smaller than `limit` (nothing left) or the
 * signal aborts. Each call is one short statement, so no lock or transaction outlives a batch and
 * a statement timeout never meets an unbounded delete (Hydra's FlushInactive* idea).
 *
 * Between batches it yields to the event loop: embedded PGlite executes on this thread, and a
 * chain of batches that never yields would hold every request until the last one.
 */
export async function deleteInBatches(deleteBatch: (limit: number) => Promise<number>, limit: number, signal?: AbortSignal): Promise<BatchTally> {
  const tally: BatchTally = { rows: 0, batches: 0, largestBatch: 0 };
  while (!signal?.aborted) {
    const deleted = await deleteBatch(limit);
    tally.rows += deleted;
    tally.batches += 1;
    tally.largestBatch = Math.max(tally.largestBatch, deleted);
    if (deleted < limit) break;
    await yieldToEventLoop();
  }
  return tally;
}
