/**
 * `gatehouse apply -f FILE` and `gatehouse export`: configuration as code (src/config-as-code/).
 * Both speak to the admin API through the CLI's transport — the running server's socket, or the
 * storage in-process — so every change is the same admin operation, validated and audited.
 * These are only the command records (every CLI run lists them); what the commands do is in
 * apply-run.ts, imported when one of them runs: the YAML parser, the file's schemas and the domain
 * modules behind them would otherwise load with `gatehouse keys list` too.
 */
import type { LocalCommand } from '../local-command.ts';

export const applyCommand: LocalCommand = {
  command: 'apply',
  summary: 'Bring clients, APIs, roles, groups and initial access tokens in line with a file (YAML or JSON)',
  flags: {
    file: { type: 'string', short: 'f', valueName: '<path>', description: 'The configuration file (docs/gatehouse-config.schema.json); - reads stdin.' },
    'dry-run': { type: 'boolean', description: 'Print what would be created, changed and deleted; change nothing.' },
    prune: { type: 'boolean', description: 'Also delete what the file no longer lists (built-in and self-registered clients are never touched).' },
  },
  examples: [
    'gatehouse apply -f gatehouse.yaml --dry-run',
    'gatehouse apply -f gatehouse.yaml',
    'gatehouse export > gatehouse.yaml && gatehouse apply -f gatehouse.yaml --prune',
  ],
  run: async (input) => (await import('./apply-run.ts')).apply(input),
};

export const exportCommand: LocalCommand = {
  command: 'export',
  summary: 'Print the current clients, APIs, roles, groups and initial access tokens as a file for apply (no secrets)',
  flags: {},
  examples: ['gatehouse export > gatehouse.yaml', 'gatehouse export | gatehouse apply -f - --dry-run'],
  run: async (input) => (await import('./apply-run.ts')).exportConfig(input),
};
