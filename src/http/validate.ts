import type { z } from 'zod';
import { ValidationFailed } from '../errors.ts';

/** Validates request input first; anything malformed is a 400 with the reasons, never a 500. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new ValidationFailed(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`));
  return parsed.data;
}
