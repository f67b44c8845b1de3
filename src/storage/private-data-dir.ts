import { chmodSync, lstatSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The embedded data directory is open to other local users: Gatehouse refuses to use it. */
export class DataDirTooOpen extends Error {
  override name = 'DataDirTooOpen';
}

/** Permission bits of group and others: none may be set anywhere under the data directory. */
const GROUP_AND_OTHERS = 0o077;

/** File modes mean nothing on Windows (ACLs rule there); everywhere else they are the guard. */
const modesApply = process.platform !== 'win32';

/**
 * The embedded data directory holds the whole database (emails, password hashes, client records,
 * the audit trail) as plain files, so it must be its owner's alone before anything is written
 * into it. A missing directory is created with mode 0700. An existing one that group or others
 * may read, write or enter is refused, as ssh refuses a private key and Postgres a data directory
 * with such modes: other users may already have read or changed what is inside, and only the
 * operator can judge that. The message says how to fix the modes. Returns the absolute path.
 */
export function ensurePrivateDataDir(dataDir: string): string {
  const dir = resolve(dataDir);
  // mode applies to every directory this creates; the umask can only take bits away.
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!modesApply) return dir;
  const mode = statSync(dir).mode & 0o777;
  if ((mode & GROUP_AND_OTHERS) !== 0) {
    throw new DataDirTooOpen(
      `the embedded data directory ${dir} is open to other users (mode ${mode.toString(8).padStart(4, '0')}): they could read password hashes or change the database. Check it, then fix it with: chmod -R go-rwx ${dir}`,
    );
  }
  return dir;
}

/**
 * Takes every permission of group and others off everything under `dir` (files 0600,
 * directories 0700), without following symbolic links. PGlite creates its files with mode 0666
 * whatever the umask; the private directory above them already keeps other users out, and this
 * keeps the files private even if that directory is opened up later.
 */
export function restrictToOwner(dir: string): void {
  if (!modesApply) return;
  const entries = readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => !entry.isSymbolicLink())
    .map((entry) => join(entry.parentPath, entry.name));
  for (const path of [dir, ...entries]) {
    try {
      const { mode } = lstatSync(path);
      if ((mode & GROUP_AND_OTHERS) !== 0) chmodSync(path, mode & 0o700);
    } catch (error) {
      // A file the database removed since the listing needs no protection.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}
