/**
 * One admin endpoint as data: method, path, input schemas, responses and the handler. The router
 * (router.ts) and the OpenAPI document (openapi.ts) are both built from these records, so the
 * document cannot drift from what the server accepts and answers.
 */
import { z } from 'zod';
import type { AdminPrincipal } from './auth.ts';

/** Where the admin API is mounted; route paths are relative to it. */
export const ADMIN_PREFIX = '/admin/v1';

export type AdminMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface AdminResult {
  status: number;
  body?: unknown;
}

export interface AdminInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  principal: AdminPrincipal;
  /** The caller's address over HTTP; undefined for the operator's CLI (socket or in-process). */
  ip: string | undefined;
}

export interface AdminRoute {
  method: AdminMethod;
  /** OpenAPI path template under /admin/v1, e.g. `/users/{userId}`. */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Success responses; the error responses every route shares are added by openapi.ts. */
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  handle(input: AdminInput<never, never, never>): Promise<AdminResult>;
}

const empty = z.object({});

/** Typed constructor: the handler sees the parsed params, query and body. */
export function adminRoute<
  P extends z.ZodObject = typeof empty,
  Q extends z.ZodObject = typeof empty,
  B extends z.ZodType = z.ZodUndefined,
>(definition: {
  method: AdminMethod;
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  handle(input: AdminInput<z.output<P>, z.output<Q>, z.output<B>>): Promise<AdminResult>;
}): AdminRoute {
  return definition as unknown as AdminRoute;
}

/** Keyset-free, stable pagination: `cursor` is an opaque offset into a deterministic order. */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('Items per page (1–200).'),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,256}$/)
    .optional()
    .describe('Opaque cursor from the previous page’s `nextCursor`.'),
});

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last.') });

export function paginate<T>(all: readonly T[], query: { limit: number; cursor?: string | undefined }): { items: T[]; nextCursor: string | null } {
  const offset = decodeCursor(query.cursor);
  const items = all.slice(offset, offset + query.limit);
  const next = offset + items.length;
  return { items, nextCursor: next < all.length ? encodeCursor(next) : null };
}

export const encodeCursor = (offset: number) => Buffer.from(`o:${offset}`).toString('base64url');

export function decodeCursor(cursor: string | undefined): number {
  if (!cursor) return 0;
  const match = /^o:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : 0;
}

/** Keyset pages from the domain (`{ items, next }`) in the admin API's shape; the cursor hides the key. */
export function keysetPage<T>(page: { items: T[]; next: string | undefined }): { items: T[]; nextCursor: string | null } {
  return { items: page.items, nextCursor: page.next === undefined ? null : Buffer.from(`k:${page.next}`).toString('base64url') };
}

export function keysetAfter(cursor: string | undefined): string | undefined {
  if (!cursor) return undefined;
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  return decoded.startsWith('k:') ? decoded.slice(2) : undefined;
}

export const ok = (body: unknown): AdminResult => ({ status: 200, body });
export const created = (body: unknown): AdminResult => ({ status: 201, body });
export const noContent = (): AdminResult => ({ status: 204 });

/** RFC 9457 problem details: the one error shape of the admin API. */
export const problemSchema = z
  .object({
    type: z.string().describe('A URI naming the problem type; `about:blank` when the status says it all.'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(z.string()).optional().describe('Each input problem, for validation failures.'),
    requestId: z.string().optional(),
  })
  .meta({ id: 'Problem' });
