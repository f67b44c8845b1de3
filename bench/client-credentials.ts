/**
 * Client-credentials token issuance: Gatehouse against bare oidc-provider (bench/peer-server.ts),
 * measured in the same run so machine drift affects both alike. `npm run bench` (bench/run.ts)
 * runs this workload together with all the others; this script runs it alone.
 *
 *   npx node bench/client-credentials.ts [--duration 10] [--warmup 3] [--reps 3] [--connections 32] [--json]
 *
 * Method (as in ../shared/reference/performance-anchors.md): every server is pinned to CPU 0 with
 * `taskset -c 0`; this process — and so autocannon, which runs in it — pins itself to CPU 1. The
 * load is loopback-only, keep-alive, bounded in time. Each run is a discarded warm-up followed by
 * a measurement; repetitions are interleaved across targets, with the order rotated every
 * repetition, so drift and position effects hit every target alike. Postgres and Redis (services
 * mode) are system daemons and are not pinned: they may take time from either CPU.
 *
 * All servers stay up for the whole run; the idle ones only run timers (Gatehouse's key poll).
 * Children, temp dirs, the bench database and the Redis prefix are removed on every exit path
 * the process can observe (normal end, error, SIGINT/SIGTERM) — not on SIGKILL.
 */

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { integer } from './lib/args.ts';
import { contended, describeSample, measure, type Sample } from './lib/load.ts';
import { gitCommit, machineInfo } from './lib/machine.ts';
import { cleanup, PINNED, pinSelf, ROOT } from './lib/process.ts';
import { median, range, textTable } from './lib/stats.ts';
import { checkClientCredentials, prepareServices, startGatehouse, startPeer, type Target } from './lib/targets.ts';
import { clientCredentialsLoad } from './lib/workloads.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    reps: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    json: { type: 'boolean', default: false },
  },
});


const options = {
  duration: integer(values.duration, '--duration'),
  warmup: integer(values.warmup, '--warmup', 0),
  reps: integer(values.reps, '--reps'),
  connections: integer(values.connections, '--connections'),
};

function report(targets: Target[], samples: Sample[], skipped: string | undefined): object {
  const of = (target: Target) => samples.filter((sample) => sample.target === target.name);
  const rows = [['target', 'req/s median (min–max)', 'p50 ms', 'p99 ms', 'server CPU', 'non-2xx', 'errors', 'flag']];
  const summary = targets.map((target) => {
    const runs = of(target);
    const failed = runs.reduce((sum, run) => sum + run.non2xx, 0);
    const errors = runs.reduce((sum, run) => sum + run.errors, 0);
    const flag = [failed + errors > 0 ? 'ERRORS' : '', runs.some(contended) ? 'CONTENDED' : ''].filter(Boolean).join(' ');
    rows.push([
      target.name,
      range(runs.map((run) => run.rate), 0),
      median(runs.map((run) => run.p50)).toFixed(0),
      median(runs.map((run) => run.p99)).toFixed(0),
      median(runs.map((run) => run.serverCpu)).toFixed(2),
      String(failed),
      String(errors),
      flag,
    ]);
    return { target: target.name, reqPerSec: median(runs.map((run) => run.rate)), flagged: flag !== '', runs };
  });
  console.log(`\n${textTable(rows)}`);

  // Ratio of medians, and in brackets the range of per-repetition ratios (same time window each).
  const peer = targets[0]!;
  const ratios = targets.slice(1).map((target) => {
    const perRep = of(target).map((run) => run.rate / (of(peer).find((p) => p.rep === run.rep)?.rate ?? Number.NaN));
    const ratio = median(of(target).map((run) => run.rate)) / median(of(peer).map((run) => run.rate));
    console.log(`${target.name} ÷ peer: ${ratio.toFixed(2)} (per repetition ${Math.min(...perRep).toFixed(2)}–${Math.max(...perRep).toFixed(2)})`);
    return { target: target.name, ratio, perRepetition: perRep };
  });
  if (skipped) console.log(`Gatehouse (services) ÷ peer: SKIPPED — ${skipped}`);
  if (samples.some(contended)) {
    console.log('CONTENDED: a server used < 0.90 of its core in some run: other load on CPU 0 (rerun when idle), or it waited on I/O.');
  }

  for (const target of targets) {
    if (target.server.problems.length === 0) continue;
    console.log(`\n${target.name} logged ${target.server.problems.length} warning/error line(s); first ones:`);
    for (const line of target.server.problems.slice(0, 5)) console.log(`  ${line.slice(0, 400)}`);
  }
  return { summary, ratios, skipped };
}

async function main(): Promise<void> {
  pinSelf();
  const perRun = options.warmup + options.duration;
  console.log(
    `client_credentials: ${options.connections} connections, ${options.warmup} s warm-up + ${options.duration} s measured, ` +
      `${options.reps} repetitions, servers ${PINNED ? 'on CPU 0, load on CPU 1' : 'unpinned'}, Node ${process.version}`,
  );

  const services = await prepareServices();
  const skipped = typeof services === 'string' ? services : undefined;
  if (skipped) {
    console.warn(`\n${'!'.repeat(78)}\n!! Gatehouse services mode SKIPPED: ${skipped}\n${'!'.repeat(78)}\n`);
  }
  // The peer first: every ratio is relative to it. Setup runs concurrently to save wall time.
  const targets: Target[] = await Promise.all([
    startPeer(),
    startGatehouse('Gatehouse (embedded)', { modeEnv: {} }),
    ...(typeof services === 'string' ? [] : [startGatehouse('Gatehouse (services)', { modeEnv: services })]),
  ]);
  for (const target of targets) await checkClientCredentials(target);
  console.log(`targets ready; ${targets.length * options.reps * perRun} s of load follows`);

  const samples: Sample[] = [];
  for (let rep = 1; rep <= options.reps; rep++) {
    // Rotate the order so no target always runs first (or right after the heaviest one).
    const order = targets.map((_, index) => targets[(index + rep - 1) % targets.length]!);
    for (const target of order) {
      const run = clientCredentialsLoad(target, options.connections);
      const sample = await measure({
        workload: 'client_credentials',
        server: target.server,
        target: target.name,
        rep,
        warmupSeconds: options.warmup,
        seconds: options.duration,
        run,
      });
      samples.push(sample);
      console.log(describeSample(sample));
    }
  }

  const summary = report(targets, samples, skipped);
  if (values.json) {
    const dir = join(ROOT, 'bench', 'results');
    await mkdir(dir, { recursive: true });
    const file = join(dir, `cc-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    const meta = { date: new Date().toISOString(), ...machineInfo(), pinned: PINNED, commit: gitCommit(), options };
    await writeFile(file, `${JSON.stringify({ meta, ...summary }, null, 2)}\n`);
    console.log(`\nresults written to ${file}`);
  }
}

try {
  await main();
} catch (error) {
  console.error(`\nbenchmark failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
// Lingering handles (pg, autocannon agents) must not keep a finished benchmark alive.
process.exit();
