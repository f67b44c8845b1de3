/**
 * The embedded database is plain files in GATEHOUSE_DATA_DIR: emails, password hashes, clients,
 * the audit trail. Another local user must neither read nor change them. The attack is run as
 * that user (`nobody`) when the tests run as root; otherwise the modes are checked, which is
 * what decides the same question.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { storageMode } from '../harness/mode.ts';
import { freePort, type ServerProcess, startServerProcess } from '../harness/server-process.ts';

const skip = storageMode() !== 'embedded' && 'the data directory belongs to the embedded mode: runs in embedded mode';
const NOBODY = 65_534;
const asRoot = process.getuid?.() === 0;

// A parent any user may enter, like /srv or a shared home: only the data directory may keep others out.
const parent = mkdtempSync(join(tmpdir(), 'gatehouse-datadir-'));
chmodSync(parent, 0o755);
after(() => rmSync(parent, { recursive: true, force: true }));

const start = async (dataDir: string) =>
  startServerProcess({ GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_KEYS_DIR: join(parent, 'keys'), PORT: String(await freePort()) });

/** Modes of everything under `dir` that group or others could use. */
function openToOthers(dir: string): string[] {
  const paths = [dir, ...readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((name) => join(dir, name))];
  return paths.filter((path) => (statSync(path).mode & 0o077) !== 0).map((path) => `${(statSync(path).mode & 0o777).toString(8)} ${path}`);
}

/** Runs a shell command as the unprivileged user `nobody`; its exit status. */
const asNobody = (command: string) => spawnSync('/bin/sh', ['-c', command], { uid: NOBODY, gid: NOBODY, encoding: 'utf8' });

test('a fresh data directory is its owner’s alone: another local user can neither read nor change the database', { skip }, async (t) => {
  const dataDir = join(parent, 'data');
  let server: ServerProcess | undefined = await start(dataDir);
  try {
    const hba = join(dataDir, 'pg', 'pg_hba.conf');
    if (asRoot) {
      assert.equal(asNobody(`ls '${parent}'`).status, 0, 'control: the other user runs commands and reaches the parent directory');
      const read = asNobody(`cat '${hba}'`);
      assert.equal(read.status, 1, 'another user cannot read the database files');
      assert.match(read.stderr, /Permission denied/);
      assert.match(asNobody(`echo 'host all all all trust' >> '${hba}'`).stderr, /Permission denied/, 'nor change them');
      assert.match(asNobody(`ls '${dataDir}'`).stderr, /Permission denied/, 'nor list the directory');
    } else {
      t.diagnostic('not running as root: the attack as another user is replaced by the mode checks below');
    }
    assert.equal(statSync(dataDir).mode & 0o777, 0o700, 'the data directory is rwx------');
    assert.deepEqual(openToOthers(dataDir), [], 'nothing under it is open to group or others');

    // An install from before this fix has its files at 0666 inside: they are narrowed at start.
    await server.stop();
    server = undefined;
    for (const name of readdirSync(join(dataDir, 'pg'), { recursive: true, encoding: 'utf8' })) {
      const path = join(dataDir, 'pg', name);
      chmodSync(path, statSync(path).isDirectory() ? 0o777 : 0o666);
    }
    server = await start(dataDir);
    assert.deepEqual(openToOthers(dataDir), [], 'files left open by an earlier version are 0600 again after a start');
  } finally {
    await server?.stop();
  }
});

test('a data directory other users can open is refused at start, with one line saying how to fix it, and nothing is written into it', { skip }, async () => {
  const dataDir = join(parent, 'shared');
  mkdirSync(dataDir);
  chmodSync(dataDir, 0o755);
  const outcome = await start(dataDir).then(
    (server) => server,
    (error: Error) => error,
  );
  if (!(outcome instanceof Error)) {
    await outcome.stop();
    assert.fail('the server started on a data directory other users can read');
  }
  const printed = outcome.message.replace(/^server exited with 1: /, '').trim();
  assert.equal(printed.split('\n').length, 1, printed);
  assert.match(printed, /^gatehouse: failed to start: the embedded data directory .*shared is open to other users \(mode 0755\).*chmod -R go-rwx /);
  assert.deepEqual(readdirSync(dataDir), [], 'no lock file, no database: nothing was written into it');
  assert.equal(statSync(dataDir).mode & 0o777, 0o755, 'and its mode is left for the operator to decide');
});
