/**
 * GATEHOUSE_BOOTSTRAP_FILE: the server applies a configuration file at start, before it listens,
 * so a container comes up with its clients. It creates and changes, never deletes (no prune), and
 * refuses anything that would generate a secret or token no one could see: in a bootstrap file a
 * confidential client names its secret (`secret: { env }` or `{ file }`), and initial access
 * tokens are minted with `gatehouse apply`, which prints them.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Logger } from '../logger.ts';
import type { SendAdminRequest } from './admin-client.ts';
import { AdminRefused, applyPlan, ConfigFileInvalid, configFile, PlanRefused, planChanges, planSummary, SecretUnavailable } from './index.ts';

/** The bootstrap file could not be applied: one line, naming the file. */
export class BootstrapFailed extends Error {}

const needsSecret = (client: Record<string, unknown>) =>
  client.type === 'confidential' &&
  !client.secret &&
  (client.tokenEndpointAuthMethod === undefined || client.tokenEndpointAuthMethod === 'client_secret_basic' || client.tokenEndpointAuthMethod === 'client_secret_post');

export async function applyBootstrapFile(deps: {
  path: string;
  issuer: string;
  send: SendAdminRequest;
  /** Runs the apply while no other instance does (an advisory lock). */
  exclusively: <T>(run: () => Promise<T>) => Promise<T>;
  logger: Logger;
}): Promise<void> {
  const fail = (reason: string): never => {
    throw new BootstrapFailed(`GATEHOUSE_BOOTSTRAP_FILE ${deps.path}: ${reason}`);
  };
  const file = configFile(deps.issuer);
  const text = await readFile(deps.path, 'utf8').catch((error: NodeJS.ErrnoException) => fail(`cannot be read (${error.code ?? error.message})`));
  try {
    const parsed = file.parse(text, deps.path);
    const unseen = [
      ...(parsed.clients ?? []).filter((client) => needsSecret(client as Record<string, unknown>)).map((client) => `client ${(client as { clientId: string }).clientId} needs secret: { env: … } or { file: … } (a generated secret would be shown to no one)`),
      ...((parsed.initialAccessTokens ?? []).length > 0 ? ['initial access tokens are minted with `gatehouse apply`, which prints them once'] : []),
    ];
    if (unseen.length > 0) fail(unseen.join('; '));
    await deps.exclusively(async () => {
      const plan = await planChanges(parsed, file.kinds, file.context(deps.send, dirname(resolve(deps.path))), { prune: false });
      await applyPlan(plan, (step) => deps.logger.info({ event: 'bootstrap.applied', action: step.action, kind: step.kind.key, id: step.id, fields: step.fields }, 'bootstrap file applied a change'));
      deps.logger.info({ event: 'bootstrap.done', file: deps.path, ...planSummary(plan) }, 'bootstrap file applied');
    });
  } catch (error) {
    if (error instanceof ConfigFileInvalid) fail(error.problems.join('; '));
    if (error instanceof PlanRefused) fail(error.reasons.join('; '));
    if (error instanceof SecretUnavailable || error instanceof AdminRefused) fail(error.message);
    throw error;
  }
}
