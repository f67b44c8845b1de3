/**
 * The README documents the CLI: every command it shows parses with the generated CLI (so a renamed
 * command or flag fails here), and its exit-code table is the CLI's own.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildCommandTable, findCommand } from '../../../src/cli/command-table.ts';
import { EXIT_CODE_MEANINGS } from '../../../src/cli/exit-codes.ts';
import { parseArgv, parseInvocation } from '../../../src/cli/invocation.ts';
import { localParseOptions } from '../../../src/cli/local-command.ts';
import { cliInvocations } from './command-lines.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const DOCUMENTS = ['README.md', 'examples/resource-server/README.md'];
const PLACEHOLDERS = { ISSUER: 'http://localhost:3000', KID: 'kid-1', BILLING: 'client-1', MINTED: '{}' };

/** Shell lines of ```sh blocks (continuations joined) and inline `npx gatehouse …` spans. */
function documentedLines(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((match) => (match[1] ?? '').replaceAll(/\\\n/g, ' ').split('\n'));
  const inline = [...markdown.matchAll(/`((?:npx )?gatehouse [^`]+)`/g)].map((match) => match[1] ?? '');
  return [...blocks, ...inline];
}

test('every CLI command the README and the example show parses with the generated CLI', () => {
  const table = buildCommandTable();
  let checked = 0;
  for (const document of DOCUMENTS) {
    for (const line of documentedLines(readFileSync(join(ROOT, document), 'utf8'))) {
      for (const argv of cliInvocations(line, PLACEHOLDERS)) {
        checked += 1;
        if (argv.length === 1 && argv[0] === '--help') continue;
        const found = findCommand(table, argv);
        assert.ok(found.kind === 'operation' || found.kind === 'local', `${document}: "${line.trim()}" names a command`);
        assert.doesNotThrow(
          () => (found.kind === 'operation' ? parseInvocation(found.command, found.rest) : parseArgv(found.rest, localParseOptions(found.command), '')),
          `${document}: "${line.trim()}" parses`,
        );
      }
    }
  }
  assert.ok(checked >= 30, `the README's commands were found (${checked})`);
});

test('the README lists the CLI’s exit codes, each with its meaning', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  for (const [code, meaning] of EXIT_CODE_MEANINGS) assert.ok(readme.includes(`| ${code} | ${meaning} |`), `README row for exit code ${code}: ${meaning}`);
});
