/**
 * The plan: what applying a file would create, change and (with prune) delete, found by comparing
 * each entry with the current state read through the admin API. Applying runs the plan's steps in
 * order, each one admin request (or a few), so each is validated and audited like any other
 * change. A re-apply of the same file finds nothing to do.
 */
import { stringify } from 'yaml';
import type { AdminClient } from './admin-client.ts';
import { type ApplyContext, type Current, differingFields, type Kind, type SecretReference } from './kind.ts';
import { CONFIG_FILE_VERSION, type ConfigFile } from './schema.ts';

export interface Step {
  action: 'create' | 'update' | 'delete';
  kind: Kind;
  id: string;
  /** For updates: the fields that change. */
  fields: string[];
  run(): Promise<string[]>;
}

export interface Plan {
  steps: Step[];
  /** Changes the admin API cannot make (the plan is not applied). */
  refused: string[];
  /** How many listed objects already match. */
  unchanged: number;
}

/** The plan's refusal: nothing was changed. */
export class PlanRefused extends Error {
  readonly reasons: string[];
  constructor(reasons: string[]) {
    super(reasons.join('\n'));
    this.reasons = reasons;
  }
}

export async function planChanges(file: ConfigFile, kinds: readonly Kind[], ctx: ApplyContext, options: { prune: boolean }): Promise<Plan> {
  const creates: Step[] = [];
  const updates: Step[] = [];
  const deletes: Step[] = [];
  const refused: string[] = [];
  let unchanged = 0;
  for (const kind of kinds) {
    const desired = (file[kind.key] ?? []) as Array<Record<string, unknown>>;
    const current = await kind.current(ctx);
    const byId = new Map(current.map((item) => [item.id, item]));
    const comparable = (entry: Record<string, unknown>) => kind.comparable?.(entry) ?? entry;
    for (const entry of desired) {
      const id = kind.idOf(entry);
      const found = byId.get(id);
      if (!found) {
        const reason = kind.impossible?.(entry, { id, entry }, []);
        if (reason) refused.push(reason);
        else creates.push({ action: 'create', kind, id, fields: [], run: () => kind.create(entry, ctx) });
        continue;
      }
      const fields = [...differingFields(comparable(entry), comparable(found.entry), kind.setFields), ...((await kind.extraDifferences?.(entry, found, ctx)) ?? [])];
      if (fields.length === 0) {
        unchanged++;
        continue;
      }
      const reason = kind.impossible?.(entry, found, fields);
      if (reason) refused.push(reason);
      else updates.push({ action: 'update', kind, id, fields, run: () => kind.update(entry, found as Current<Record<string, unknown>>, fields, ctx) });
    }
    if (options.prune) {
      const listed = new Set(desired.map((entry) => kind.idOf(entry)));
      for (const item of current) {
        if (listed.has(item.id)) continue;
        const run = async () => {
          await kind.remove(item.id, ctx);
          return [];
        };
        deletes.push({ action: 'delete', kind, id: item.id, fields: [], run });
      }
    }
  }
  // Dependents go first: a client before the API it names, a group before its roles.
  return { steps: [...creates, ...updates, ...deletes.reverse()], refused, unchanged };
}

const SIGN = { create: '+', update: '~', delete: '-' } as const;

/** One line per step: `+ client demo-app`, `~ API https://… (scopes, name)`, `- role old`. */
export function describePlan(plan: Plan): string[] {
  return plan.steps.map((step) => `${SIGN[step.action]} ${step.kind.label} ${step.id}${step.fields.length ? ` (${step.fields.join(', ')})` : ''}`);
}

export function planSummary(plan: Plan): { create: number; update: number; delete: number; unchanged: number } {
  const count = (action: Step['action']) => plan.steps.filter((step) => step.action === action).length;
  return { create: count('create'), update: count('update'), delete: count('delete'), unchanged: plan.unchanged };
}

/** Runs the steps in order; returns the lines to show once (generated secrets and tokens). */
export async function applyPlan(plan: Plan, onStep?: (step: Step) => void): Promise<string[]> {
  if (plan.refused.length > 0) throw new PlanRefused(plan.refused);
  const once: string[] = [];
  for (const step of plan.steps) {
    once.push(...(await step.run()));
    onStep?.(step);
  }
  return once;
}

/** The current state as a file (YAML), without secrets: applying it changes nothing. */
export async function exportState(kinds: readonly Kind[], admin: AdminClient): Promise<string> {
  const ctx: ApplyContext = { admin, resolveSecret: () => Promise.reject(new Error('export reads no secrets')) };
  const file: Record<string, unknown> = { version: CONFIG_FILE_VERSION };
  for (const kind of kinds) file[kind.key] = (await kind.current(ctx)).map((item) => kind.exported(item.entry as never));
  return stringify(file, { lineWidth: 0 });
}

export type { SecretReference };
