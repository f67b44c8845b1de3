import { setTimeout as delay } from 'node:timers/promises';

/**
 * Waits for an event the test cannot await directly (a write off the request path, another
 * process applying a change): polls `check` every 25 ms until it holds, and fails with `what`
 * after a generous deadline. The deadline only bounds a failure; a pass never waits for it.
 */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, deadlineMs = 30_000): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > deadlineMs) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await delay(25);
  }
  return Date.now() - started;
}

/** A promise and the function that settles it: for a test that must act while code waits on it. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}
