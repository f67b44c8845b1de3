/**
 * Tests that attack as another local user run as root and drop to uid 65534 (nobody). That user
 * must be able to start this checkout's Node: a checkout under a private directory (a home
 * directory of mode 0700, `mktemp -d`) is out of its reach, and those tests then say so and check
 * what they can instead of failing for a reason that has nothing to do with Gatehouse.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const OTHER_UID = 65534;

let answer: boolean | undefined;

/** Root, and uid 65534 can run process.execPath and read this checkout (every directory above both is traversable). */
export function canActAsAnotherUser(): boolean {
  const readThisFile = `require('node:fs').readFileSync(${JSON.stringify(fileURLToPath(import.meta.url))})`;
  answer ??=
    process.getuid?.() === 0 &&
    spawnSync(process.execPath, ['-e', readThisFile], { uid: OTHER_UID, gid: OTHER_UID, cwd: '/', timeout: 30_000 }).status === 0;
  return answer;
}

/** Why another user's attack was not attempted here (for a loud line in the test output). */
export function whyNotAnotherUser(): string {
  return process.getuid?.() === 0
    ? `uid ${OTHER_UID} cannot run ${process.execPath} on this checkout (a directory above it is private)`
    : 'not root, so no other user can be played';
}
