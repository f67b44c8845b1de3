/**
 * V8's compile cache (node:module): the code compiled for our modules and dependencies is kept on
 * disk, so the next process skips most of that work — the CLI's start halves, and a test process
 * or a server restart saves about a second of CPU. The directory must be one only this user owns:
 * cached code from a directory another user could write would be code that user chose.
 */
import { lstatSync, mkdirSync } from 'node:fs';
import module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The cache directory (created 0700), or undefined when it is not safely ours. */
export function compileCacheDir(): string | undefined {
  const dir = join(tmpdir(), `gatehouse-compile-cache-${process.getuid?.() ?? 'user'}`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = lstatSync(dir);
    return stat.isDirectory() && stat.uid === process.getuid?.() && (stat.mode & 0o077) === 0 ? dir : undefined;
  } catch {
    return undefined; // no cache: only slower
  }
}

/** Turns the cache on for modules this process loads from now on (not those already loaded). */
export function enableCompileCache(): void {
  const dir = compileCacheDir();
  if (dir) module.enableCompileCache?.(dir);
}
