import { spawnSync } from 'node:child_process';

/**
 * A python3 that imports every one of `modules` (Debian's packages live in /usr/bin/python3's
 * path; a python3 earlier on PATH, e.g. pyenv's, may not see them).
 */
export function djangoPython(modules: readonly string[]): { found: boolean; command: string | undefined; reason: string } {
  const tried: string[] = [];
  for (const command of ['/usr/bin/python3', 'python3']) {
    const result = spawnSync(command, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' });
    if (result.status === 0) return { found: true, command, reason: '' };
    tried.push(`${command}: ${result.error ? 'not found' : (result.stderr.trim().split('\n').at(-1) ?? 'failed')}`);
  }
  return { found: false, command: undefined, reason: `no python3 with ${modules.join(', ')} (${tried.join('; ')})` };
}
