/**
 * Issue #23: no test waits a fixed time standing in for synchronisation. Every timer in test code
 * is either a short poll (≤ 50 ms, inside a wait for the event itself) or listed here with the
 * reason it cannot wait on an event; a new fixed sleep fails this test.
 */
import assert from 'node:assert/strict';
import { globSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = join(import.meta.dirname, '..', '..');
const LONGEST_POLL_MS = 50;

/** Remaining waits, file → why no event can replace them (remove an entry when it is fixed). */
const KNOWN: Record<string, string> = {
  'test/interactions/brute-force.test.ts': 'the rate limiter reads wall time: the backoff ceiling has to pass',
  'test/storage/key-value.test.ts': 'Redis expires keys by its own clock: a TTL has to pass',
  'test/harness/server-process.ts': 'polls /healthz of a child process while it starts',
  'test/protocol/ops/degradation.test.ts': 'polls while a store is cut off',
  'test/examples/django-resource-server.test.ts': 'polls an external example server while it starts',
  'test/harness/refresh-load.ts': 'a client backing off after a 503, as real clients do; waits are woken by each answer (the 1 s timer only re-checks the deadline)',
};

test(`timers in tests are polls of at most ${LONGEST_POLL_MS} ms, or a listed exception`, () => {
  const found: string[] = [];
  for (const file of globSync('test/**/*.ts', { cwd: ROOT })) {
    const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
    lines.forEach((line, index) => {
      for (const match of line.matchAll(/\b(?:setTimeout\([^,]+,|delay\(|sleep\()\s*([^),]+)/g)) {
        const wait = match[1]!.trim();
        const short = /^\d+$/.test(wait) && Number(wait) <= LONGEST_POLL_MS;
        if (!short && !(file in KNOWN)) found.push(`${file}:${index + 1}: ${line.trim()}`);
      }
    });
  }
  assert.deepEqual(found, [], 'wait on the event itself (test/harness/wait.ts) or use the test clock');
});
