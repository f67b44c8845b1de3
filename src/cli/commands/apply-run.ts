/**
 * What `gatehouse apply` and `gatehouse export` do (their command records are in apply.ts): loaded
 * only when one of them runs, as it brings the YAML parser, the config file's schemas and the
 * domain modules the config-as-code kinds need, which no other command uses.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { text } from 'node:stream/consumers';
import {
  AdminRefused,
  applyPlan,
  ConfigFileInvalid,
  configFile,
  describePlan,
  exportState,
  PlanRefused,
  planChanges,
  planSummary,
  SecretUnavailable,
  type SendAdminRequest,
} from '../../config-as-code/index.ts';
import { EXIT, exitCodeOfStatus } from '../exit-codes.ts';
import type { LocalInput } from '../local-command.ts';
import { createTransport } from '../transport.ts';
import { UsageError } from '../usage-error.ts';

/** Known refusals as one message each and an exit code; anything else is rethrown. */
function refusal(error: unknown): { message: string; code: number } | undefined {
  if (error instanceof ConfigFileInvalid) return { message: error.problems.join('\n'), code: EXIT.invalid };
  if (error instanceof PlanRefused) return { message: `nothing was changed:\n${error.reasons.join('\n')}`, code: EXIT.invalid };
  if (error instanceof SecretUnavailable) return { message: error.message, code: EXIT.usage };
  if (error instanceof AdminRefused) return { message: error.message, code: exitCodeOfStatus(error.status) };
  return undefined;
}

/**
 * Runs `work` with a transport to the server and closes it after; a known refusal becomes its
 * message on stderr and its exit code.
 */
async function withAdminTransport(config: LocalInput['config'], work: (send: SendAdminRequest) => Promise<number>): Promise<number> {
  const transport = createTransport(config);
  try {
    return await work((request) => transport.send(request));
  } catch (error) {
    const known = refusal(error);
    if (!known) throw error;
    process.stderr.write(`gatehouse: ${known.message}\n`);
    return known.code;
  } finally {
    await transport.close();
  }
}

async function readConfigText(path: string): Promise<string> {
  if (path === '-') return text(process.stdin);
  return readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read ${path} (${error.code ?? error.message})`);
  });
}

/** `gatehouse apply -f FILE`. */
export async function apply({ config, values, json, out }: LocalInput): Promise<number> {
  const path = values.file;
  if (typeof path !== 'string') throw new UsageError('give the file: gatehouse apply -f gatehouse.yaml (or -f - for stdin)');
  const file = configFile(config.issuer);
  return withAdminTransport(config, async (send) => {
    const parsed = file.parse(await readConfigText(path), path === '-' ? '<stdin>' : path);
    const ctx = file.context(send, path === '-' ? process.cwd() : dirname(resolve(path)));
    const plan = await planChanges(parsed, file.kinds, ctx, { prune: values.prune === true });
    const summary = planSummary(plan);
    const lines = describePlan(plan);
    const dryRun = values['dry-run'] === true;
    if (plan.refused.length > 0 || dryRun) {
      if (plan.refused.length > 0) throw new PlanRefused(plan.refused);
      out(json ? JSON.stringify({ dryRun, summary, changes: steps(plan) }, null, 2) : [...lines, headline(summary, 'would be'), 'dry run: nothing was changed'].join('\n'));
      return EXIT.ok;
    }
    const shownOnce = await applyPlan(plan);
    out(
      json
        ? JSON.stringify({ dryRun, summary, changes: steps(plan), shownOnce }, null, 2)
        : [...lines, headline(summary, ''), ...shownOnce].join('\n'),
    );
    return EXIT.ok;
  });
}

const steps = (plan: Awaited<ReturnType<typeof planChanges>>) =>
  plan.steps.map((step) => ({ action: step.action, kind: step.kind.key, id: step.id, fields: step.fields }));

function headline(summary: ReturnType<typeof planSummary>, verb: string): string {
  const changes = summary.create + summary.update + summary.delete;
  if (changes === 0) return `no changes (${summary.unchanged} unchanged)`;
  const will = verb ? `${verb} ` : '';
  return `${summary.create} ${will}created, ${summary.update} ${will}changed, ${summary.delete} ${will}deleted, ${summary.unchanged} unchanged`;
}


/** `gatehouse export`: the current state as a file for apply. */
export async function exportConfig({ config, out }: LocalInput): Promise<number> {
  const file = configFile(config.issuer);
  return withAdminTransport(config, async (send) => {
    out((await exportState(file.kinds, file.context(send, process.cwd()).admin)).trimEnd());
    return EXIT.ok;
  });
}
