#!/usr/bin/env node
/**
 * `gatehouse` — the operator CLI. Each admin command is one admin API operation, generated from
 * its route record and sent to the running server (or run in-process when none runs); see run.ts
 * and transport.ts. Exit codes: exit-codes.ts (and `gatehouse --help`).
 */
import { lstatSync, mkdirSync } from 'node:fs';
import module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * V8's compile cache halves the CLI's start (most of it is compiling zod and the route schemas).
 * It lives in a directory only this user owns: cached code from a directory another user could
 * write would be code that user chose.
 */
function enableCompileCache(): void {
  const dir = join(tmpdir(), `gatehouse-cli-cache-${process.getuid?.() ?? 'user'}`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = lstatSync(dir);
    if (stat.isDirectory() && stat.uid === process.getuid?.() && (stat.mode & 0o077) === 0) module.enableCompileCache?.(dir);
  } catch {
    // No cache: only slower.
  }
}

enableCompileCache();
const { runCli } = await import('./run.ts');
const code = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
});
// Exit once the output is flushed: an in-process database may keep timers alive a while longer.
process.stdout.write('', () => process.exit(code));
