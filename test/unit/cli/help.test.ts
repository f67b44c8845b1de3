/**
 * The CLI is generated from the admin route records: every operation has a command, every
 * command (and group) prints its help and exits 0, every flag explains itself, and every example
 * in the help parses with the command it documents.
 *
 * The top-level help, a group's and a command's run as real processes with no configuration at
 * all; the walk of every command's help calls the same entry point (runCli) in this process —
 * a hundred processes would cost a minute of CPU and prove nothing more.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { adminRoutes } from '../../../src/admin/routes.ts';
import { buildCommandTable, findCommand } from '../../../src/cli/command-table.ts';
import { parseInvocation } from '../../../src/cli/invocation.ts';
import { OPERATION_COMMANDS } from '../../../src/cli/operations/index.ts';
import { runCli } from '../../../src/cli/run.ts';
import type { JobRunner } from '../../../src/jobs/index.ts';
import type { Services } from '../../../src/services.ts';
import { cliInvocations } from './command-lines.ts';

const CLI = join(import.meta.dirname, '..', '..', '..', 'src', 'cli', 'main.ts');
const table = buildCommandTable();

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // No storage variables at all: help must not need configuration.
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The CLI's entry point in this process: what it prints, and its exit code. */
async function cliInProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { out: (text) => (stdout += `${text}\n`), err: (text) => (stderr += `${text}\n`) });
  return { code, stdout, stderr };
}

test('every admin operation has exactly one command, and every command names an operation that exists', () => {
  const operationIds = adminRoutes({} as Services, {} as JobRunner).map((route) => route.operationId);
  assert.deepEqual(Object.keys(OPERATION_COMMANDS).sort(), [...operationIds].sort());
  const words = table.operations.map((command) => command.spec.command);
  assert.equal(new Set(words).size, words.length, 'no two operations share a command');
});

test('gatehouse --help, each group’s and each command’s --help print their help and exit 0', async () => {
  const top = await cli(['--help']);
  assert.equal(top.code, 0);
  for (const command of table.operations) assert.ok(top.stdout.includes(`  ${command.spec.command} `), `top help lists ${command.spec.command}`);
  const walks = [
    ...table.groups.map(([group]) => ({ args: [group, '--help'], expect: `gatehouse ${group} —` })),
    ...table.operations.map((command) => ({ args: [...command.words, '--help'], expect: `Usage: gatehouse ${command.spec.command}` })),
    ...table.locals.map((command) => ({ args: [...command.command.split(' '), '-h'], expect: `Usage: gatehouse ${command.command}` })),
  ];
  // As processes without configuration: a group's help and one command's.
  for (const { args, expect } of [walks[0]!, walks.find((walk) => walk.args.at(-1) === '--help' && walk.args.length > 2)!]) {
    const result = await cli(args);
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    assert.ok(result.stdout.includes(expect), `${args.join(' ')} prints its help:\n${result.stdout}`);
  }
  for (const { args, expect } of walks) {
    const result = await cliInProcess(args);
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    assert.ok(result.stdout.includes(expect), `${args.join(' ')} prints its help:\n${result.stdout}`);
  }
});

test('without a command, or with an unknown one, the CLI prints how to use it and exits 2', async () => {
  const bare = await cli([]);
  assert.equal(bare.code, 2);
  assert.match(bare.stderr, /^Usage: gatehouse <command>/m);
  const group = await cli(['users']);
  assert.equal(group.code, 2);
  assert.match(group.stderr, /users create/);
  assert.equal((await cli(['users', 'frobnicate'])).code, 2);
});

test('every flag and argument explains itself, and every command has an example', () => {
  for (const command of table.operations) {
    const { args, flags } = command.interface();
    for (const flag of flags) assert.ok(flag.description.length > 10, `${command.spec.command} --${flag.name} has a description`);
    for (const arg of args) assert.ok(arg.description.length > 5, `${command.spec.command} ${arg.name} has a description`);
    assert.ok(command.spec.examples.length > 0, `${command.spec.command} has an example`);
  }
});

test('every example in the help parses with the command it documents', () => {
  for (const command of table.operations) {
    for (const example of command.spec.examples) {
      const [argv] = cliInvocations(example);
      assert.ok(argv, `${example} invokes gatehouse`);
      const found = findCommand(table, argv);
      assert.ok(found.kind === 'operation' && found.command === command, `${example} is a ${command.spec.command} command`);
      assert.doesNotThrow(() => parseInvocation(command, found.rest), `${example} parses`);
    }
  }
});
