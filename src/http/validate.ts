import type { z } from 'zod';
import { validated } from '../validation.ts';

/** Validates request input first; anything malformed is a 400 with the reasons, never a 500. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  return validated(schema, input, 'input');
}
