/**
 * The one zod adapter: a schema's issues as readable lines (`path: message`), and "parse or throw
 * ValidationFailed" — a 400 listing every problem through whichever renderer the caller's edge
 * uses. Shared by the router (http/router.ts, admin/dispatch.ts) and the domain services that
 * validate their own input (rbac, apis, clients, registration).
 */
import type { z } from 'zod';
import { ValidationFailed } from './errors.ts';

/** `path: message` per issue; an issue about the whole value is named `whole`, or given bare without it. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], whole?: string): string[] {
  return issues.map((issue) => {
    const path = issue.path.map(String).join('.') || whole;
    return path ? `${path}: ${issue.message}` : issue.message;
  });
}

export function validated<T extends z.ZodType>(schema: T, input: unknown, whole?: string): z.output<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new ValidationFailed(describeIssues(parsed.error.issues, whole));
  return parsed.data;
}
