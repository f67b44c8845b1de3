import type { Clock } from '../../src/clock.ts';

/** A clock that follows real time plus an offset the test can advance, never sleeping. */
export function createTestClock(): Clock & { advance(seconds: number): void } {
  let offsetMs = 0;
  return {
    now: () => new Date(Date.now() + offsetMs),
    advance(seconds: number) {
      offsetMs += seconds * 1000;
    },
  };
}
