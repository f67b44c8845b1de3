/**
 * Configuration as code: `gatehouse apply -f FILE`, `gatehouse export` and the server's
 * GATEHOUSE_BOOTSTRAP_FILE. A file lists clients, APIs, roles, groups and initial access tokens;
 * applying it plans the differences with the current state and makes them through admin requests.
 */
import { readFile } from 'node:fs/promises';
import { referencedEnvironmentVariable } from '../config.ts';
import { adminClient, type SendAdminRequest } from './admin-client.ts';
import type { ApplyContext, SecretReference } from './kind.ts';
import { configKinds } from './kinds/index.ts';
import { parseConfigFile } from './parse.ts';
import { type ConfigFile, configFileSchema, configJsonSchema } from './schema.ts';

export { AdminRefused, type SendAdminRequest } from './admin-client.ts';
export { ConfigFileInvalid } from './parse.ts';
export { applyPlan, describePlan, exportState, type Plan, PlanRefused, planChanges, planSummary } from './plan.ts';

/** A secret named in the file could not be read; says which and why, never the value. */
export class SecretUnavailable extends Error {}

/** Reads a secret reference: `{ env: NAME }` from the environment, `{ file: PATH }` from the file (trailing newline dropped). */
export async function resolveSecretReference(reference: SecretReference, baseDir: string): Promise<string> {
  if ('env' in reference) {
    const value = referencedEnvironmentVariable(reference.env);
    if (!value) throw new SecretUnavailable(`the secret's environment variable ${reference.env} is not set`);
    return value;
  }
  const path = reference.file.startsWith('/') ? reference.file : `${baseDir}/${reference.file}`;
  const value = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new SecretUnavailable(`the secret file ${reference.file} cannot be read (${error.code ?? error.message})`);
  });
  const trimmed = value.replace(/\r?\n$/, '');
  if (!trimmed) throw new SecretUnavailable(`the secret file ${reference.file} is empty`);
  return trimmed;
}

export function configFile(issuer: string) {
  const kinds = configKinds(issuer);
  const schema = configFileSchema(kinds);
  return {
    kinds,
    parse: (text: string, sourceName: string): ConfigFile => parseConfigFile(text, sourceName, schema),
    context: (send: SendAdminRequest, baseDir: string): ApplyContext => {
      const cache = new Map<string, Promise<string>>();
      return {
        admin: adminClient(send),
        resolveSecret: (reference) => {
          const key = JSON.stringify(reference);
          if (!cache.has(key)) cache.set(key, resolveSecretReference(reference, baseDir));
          return cache.get(key) as Promise<string>;
        },
      };
    },
  };
}

/** docs/gatehouse-config.schema.json (the same for every issuer: the built-in admin API is refused by value, not by schema). */
export const renderConfigFileSchema = () => `${JSON.stringify(configJsonSchema(configKinds('https://issuer.invalid')), null, 2)}\n`;
