/**
 * Embedded start times alone, without the whole benchmark (`npm run bench` measures the same after
 * its loads): first starts on fresh data and keys directories (PGlite's initdb, the migrations, key
 * generation), then later starts on the last one, each until discovery answers 200, with the
 * Dockerfile's runtime settings. Prints wall and CPU seconds; CPU is the steadier figure when other
 * processes share the machine (each start first waits up to 20 s for a quiet machine).
 *
 *   node bench/start.ts [--reps 3]
 */
import { parseArgs } from 'node:util';
import { timeEmbeddedStarts } from './lib/ops-timing.ts';
import { cleanup } from './lib/process.ts';
import { shippedSettings } from './lib/shipped-settings.ts';
import { median } from './lib/stats.ts';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '3' } } });
const reps = Math.max(1, Number(values.reps) || 3);
try {
  const timings = await timeEmbeddedStarts(shippedSettings(), reps, console.log);
  for (const [kind, target] of [
    ['first', 10],
    ['later', 3],
  ] as const) {
    const runs = timings[kind];
    const wall = median(runs.map((t) => t.seconds));
    const cpu = median(runs.map((t) => t.cpuSeconds));
    const busy = Math.max(...runs.map((t) => t.otherCores));
    console.log(
      `${kind} start: median ${wall.toFixed(1)} s (target ≤ ${target} s on a quiet machine), ${cpu.toFixed(1)} s of CPU; other processes up to ${busy.toFixed(2)} cores${runs.some((t) => t.failure) ? ' — FAILED runs above' : ''}`,
    );
  }
} finally {
  await cleanup();
}
