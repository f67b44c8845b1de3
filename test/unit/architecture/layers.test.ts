/**
 * Issue #23.2 acceptance 2: the domain import rule (biome.json `noRestrictedImports`) covers every
 * domain folder, and no import cycle goes unnoticed (`noImportCycles`, type imports included). A
 * new folder under src/ must be classified here — as an edge/wiring folder, or added to the rule.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = join(import.meta.dirname, '..', '..', '..');

/** Folders that may speak HTTP, oidc-provider, SQL or Redis: the edges, the protocol and storage. */
const EDGES: Record<string, string> = {
  admin: 'the admin REST API and its socket',
  cli: 'the operator CLI (a client of the admin API)',
  console: 'the admin console pages (over the admin API only)',
  'config-as-code': 'configuration as code: apply and export through admin requests (a client of the admin API, like the CLI)',
  http: 'Koa route groups, pipelines and the error map',
  interactions: 'the sign-in pages (oidc-provider interactions)',
  oidc: 'oidc-provider configuration and its seams',
  ops: 'health, readiness, metrics',
  'registration-api': 'the /register routes',
  'self-service': 'the account pages',
  storage: 'knex, Redis and the keyspaces',
  types: 'ambient type declarations',
};

interface BiomeOverride {
  includes: string[];
  linter?: { rules?: { style?: { noRestrictedImports?: { options: { paths: Record<string, string> } } } } };
}

const biome = JSON.parse(readFileSync(join(ROOT, 'biome.json'), 'utf8')) as {
  linter: { rules: { suspicious: { noImportCycles?: { level: string; options?: { ignoreTypes?: boolean } } } } };
  overrides: BiomeOverride[];
};

test('every folder under src/ is an edge or is under the domain import rule', () => {
  const rule = biome.overrides.find((override) => override.linter?.rules?.style?.noRestrictedImports);
  assert.ok(rule, 'biome.json restricts what domain folders import');
  const restricted = Object.keys(rule.linter!.rules!.style!.noRestrictedImports!.options.paths);
  for (const module of ['koa', '@koa/router', 'oidc-provider', 'knex', 'ioredis']) assert.ok(restricted.includes(module), `${module} is forbidden in the domain`);
  const domain = new Set(rule.includes.map((glob) => /^src\/([^/]+)\/\*\*$/.exec(glob)?.[1]));
  const folders = readdirSync(join(ROOT, 'src'), { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  const unclassified = folders.filter((folder) => !(folder in EDGES) && !domain.has(folder));
  assert.deepEqual(unclassified, [], 'add the folder to the domain rule in biome.json (or, if it is an edge, to EDGES here)');
  const both = folders.filter((folder) => folder in EDGES && domain.has(folder));
  assert.deepEqual(both, [], 'a folder is either an edge or domain');
});

test('import cycles are a lint error, type-only imports included', () => {
  const cycles = biome.linter.rules.suspicious.noImportCycles;
  assert.equal(cycles?.level, 'error');
  assert.equal(cycles?.options?.ignoreTypes, false);
});

test('route handlers never parse input themselves: the router validates it from the record', () => {
  const edges = ['interactions', 'self-service', 'registration-api', 'admin/resources', 'ops'];
  const found: string[] = [];
  for (const folder of edges) {
    for (const entry of readdirSync(join(ROOT, 'src', folder), { recursive: true, encoding: 'utf8' })) {
      if (!entry.endsWith('.ts')) continue;
      const text = readFileSync(join(ROOT, 'src', folder, entry), 'utf8');
      text.split('\n').forEach((line, index) => {
        if (/\.safeParse\(|\bparseInput\(|\bvalidated\(/.test(line)) found.push(`src/${folder}/${entry}:${index + 1}: ${line.trim()}`);
      });
    }
  }
  assert.deepEqual(found, [], 'declare the schema on the route record (http/route.ts) instead');
});

test('app.ts registers one middleware: the table of path prefix → route group', () => {
  const app = readFileSync(join(ROOT, 'src', 'app.ts'), 'utf8');
  assert.equal([...app.matchAll(/\bapp\.use\(/g)].length, 1, 'every step belongs to a group pipeline (http/pipeline.ts)');
  assert.match(app, /app\.use\(byPath\(/);
});
