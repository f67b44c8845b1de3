/**
 * The one zod adapter: a schema's issues as readable lines (`path: message`), and "parse or throw
 * ValidationFailed" — a 400 listing every problem through whichever renderer the caller's edge
 * uses. Shared by the router (http/router.ts, admin/dispatch.ts) and the domain services that
 * validate their own input (rbac, apis, clients, registration).
 */
import { z } from 'zod';
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

/**
 * A form field or setting that holds JSON, parsed: text that is not JSON is an issue saying
 * `message` (a 400 or a start-up error), never a thrown SyntaxError. `text` sets limits or a default.
 */
export function jsonText(message: string, text: z.ZodType<string, string | undefined> = z.string()) {
  return text.transform((value, ctx) => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
  });
}
