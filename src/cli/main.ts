#!/usr/bin/env node
/**
 * `gatehouse` — the operator CLI. Each admin command is one admin API operation, generated from
 * its route record and sent to the running server (or run in-process when none runs); see run.ts
 * and transport.ts. Exit codes: exit-codes.ts (and `gatehouse --help`).
 */
// Before anything else loads: most of the CLI's start is compiling zod and the route schemas.
import { enableCompileCache } from '../compile-cache.ts';

enableCompileCache();
const { runCli } = await import('./run.ts');
const code = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
});
// Exit once the output is flushed: an in-process database may keep timers alive a while longer.
process.stdout.write('', () => process.exit(code));
