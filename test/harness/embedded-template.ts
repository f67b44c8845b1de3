/**
 * A migrated embedded (PGlite) database, dumped once and loaded by every in-memory test server.
 *
 * A fresh PGlite runs initdb in WebAssembly (3–6 s of CPU on this 2-core box) and then every
 * migration; loading a dump of an already migrated data directory takes under a second. Each
 * server still gets its own database, identical to a freshly migrated one. The dump is cached in
 * the OS temp directory under a hash of the migrations and the PGlite version, so the suite's
 * test processes build it once (a changed migration gets a new file).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dumpEmbeddedDatabase, migrateToLatest, openStorage } from '../../src/storage/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const MIGRATIONS_DIR = join(ROOT, 'migrations');

function templateFile(): string {
  const hash = createHash('sha256');
  hash.update(readFileSync(join(ROOT, 'node_modules', '@electric-sql', 'pglite', 'package.json')));
  for (const name of readdirSync(MIGRATIONS_DIR).sort()) hash.update(name).update(readFileSync(join(MIGRATIONS_DIR, name)));
  return join(tmpdir(), `gatehouse-test-pglite-${hash.digest('hex').slice(0, 16)}.tar`);
}

async function buildTemplate(file: string): Promise<Blob> {
  const storage = await openStorage({ storage: { kind: 'embedded', dataDir: '' }, redisPrefix: '' }, { inMemoryEmbedded: true });
  try {
    await migrateToLatest(storage.db);
    const dump = await dumpEmbeddedDatabase(storage.db);
    // Written whole under another name, then renamed: a parallel test process never reads half a file.
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, new Uint8Array(await dump.arrayBuffer()));
    renameSync(partial, file);
    return dump;
  } finally {
    await storage.close();
  }
}

let template: Promise<Blob> | undefined;

/** The dump of a migrated embedded database (built on first use, then read from the cache file). */
export function embeddedTemplate(): Promise<Blob> {
  template ??= (async () => {
    const file = templateFile();
    try {
      return new Blob([readFileSync(file)]);
    } catch {
      return buildTemplate(file);
    }
  })();
  return template;
}
