/**
 * A fresh embedded data directory starts from a dump of a freshly migrated PGlite database instead
 * of running PGlite's initdb (seconds of WebAssembly) and then every migration.
 *
 * The dump is made once, at first need, from an in-memory database that ran initdb and
 * `migrateToLatest` and nothing else: it holds the schema and no data (no keys, no users — the
 * migrations insert nothing into an empty database), so it may be shared by every data directory
 * of this installation. It is cached under node_modules/.cache/gatehouse, a place exactly as
 * trusted as the code beside it (whoever can write there can change the code), under a name made
 * of the PGlite version and the content of every migration file: a changed or added migration, or
 * another PGlite, gets a new dump (older ones go after a week). Where that directory is not
 * writable the dump is made in memory for this start and not kept.
 *
 * Correctness does not rest on the dump being current: the caller runs `migrateToLatest` after
 * opening, as for any existing directory, so a migration added later still runs (on directories
 * made from an older dump as on every other).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { dumpEmbeddedDatabase, migrateToLatest, openDatabase } from './database.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const MIGRATIONS_DIR = join(ROOT, 'migrations');
const CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'gatehouse');
const CACHE_PREFIX = 'pglite-migrated-';
const STALE_AFTER_MS = 7 * 24 * 3600 * 1000;

/** The PGlite version and every migration file, hashed: what the dump's content depends on. */
export function templateFingerprint(): string {
  const pglitePackage = join(dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite')), '..', 'package.json');
  const hash = createHash('sha256');
  hash.update(readFileSync(pglitePackage));
  for (const name of readdirSync(MIGRATIONS_DIR).sort()) hash.update(name).update('\0').update(readFileSync(join(MIGRATIONS_DIR, name)));
  return hash.digest('hex').slice(0, 16);
}

/** The path of the cached dump for the current migrations and PGlite. */
export function templateCacheFile(): string {
  return join(CACHE_DIR, `${CACHE_PREFIX}${templateFingerprint()}.tar`);
}

/** initdb and every migration in an in-memory PGlite, dumped: what a fresh directory starts from. */
export async function buildMigratedTemplate(): Promise<Blob> {
  const db = await openDatabase({ kind: 'pglite', dataDir: undefined });
  try {
    await migrateToLatest(db);
    return await dumpEmbeddedDatabase(db);
  } finally {
    await db.destroy();
  }
}

/** The dump of a freshly migrated embedded database: from the cache, or built (and cached) now. */
export async function migratedTemplate(): Promise<Blob> {
  const file = templateCacheFile();
  try {
    return new Blob([readFileSync(file)]);
  } catch {
    // Not cached yet (or unreadable): build it below.
  }
  const dump = await buildMigratedTemplate();
  try {
    mkdirSync(CACHE_DIR, { recursive: true });
    // Written whole under another name, then renamed: a process starting meanwhile never reads half a file.
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, new Uint8Array(await dump.arrayBuffer()));
    renameSync(partial, file);
    // Dumps for older migrations or another PGlite are dropped once a week old: not at once, as
    // checkouts of other branches may share this node_modules (a dropped dump is only rebuilt).
    const weekAgo = Date.now() - STALE_AFTER_MS;
    for (const name of readdirSync(CACHE_DIR)) {
      const path = join(CACHE_DIR, name);
      if (name.startsWith(CACHE_PREFIX) && path !== file && statSync(path).mtimeMs < weekAgo) rmSync(path, { force: true });
    }
  } catch {
    // A read-only installation (a container image): this start uses the dump without keeping it.
  }
  return dump;
}
