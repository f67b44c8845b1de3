import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDataDir } from './private-data-dir.ts';

export class EmbeddedDataDirBusy extends Error {
  override name = 'EmbeddedDataDirBusy';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite is single-process: two processes on one data directory would corrupt it. The holder
 * writes its pid into a lock file; a stale lock (dead pid) is taken over. The lock file is the
 * first thing written, so the directory is checked to be private first (private-data-dir.ts).
 */
export function lockEmbeddedDataDir(dataDir: string): () => void {
  const dir = ensurePrivateDataDir(dataDir);
  const path = join(dir, 'gatehouse.lock');
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(path, 'utf8'));
      if (Number.isInteger(holder) && holder !== process.pid && alive(holder)) {
        throw new EmbeddedDataDirBusy(
          `the embedded database in ${dir} is in use by another Gatehouse process (pid ${holder}); stop it first`,
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new EmbeddedDataDirBusy(`could not lock ${dir}`);
}
