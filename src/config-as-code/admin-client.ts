/**
 * Configuration as code reads and changes state only through admin requests — the same route
 * records, validation, handlers and audit events as `/admin/v1`, the CLI and the admin socket —
 * so there is one implementation of each action. `send` is whatever transport the caller has: the
 * CLI's (socket or in-process) or the server's own dispatcher at start.
 */
import type { AdminRequest, AdminResponse, Problem } from '../admin/dispatch.ts';

export type SendAdminRequest = (request: AdminRequest) => Promise<AdminResponse>;

/** The admin API refused a request: its status and reasons, as the problem document gave them. */
export class AdminRefused extends Error {
  readonly status: number;
  constructor(request: AdminRequest, status: number, reasons: readonly string[]) {
    super(`${request.method} ${request.path}: ${reasons.join('; ')}`);
    this.status = status;
  }
}

export interface AdminClient {
  call<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** Every item of a list, following `nextCursor`. */
  list<T = unknown>(path: string): Promise<T[]>;
}

export const segment = (value: string) => encodeURIComponent(value);

export function adminClient(send: SendAdminRequest): AdminClient {
  async function call<T>(method: string, path: string, body?: unknown, query?: Record<string, string>): Promise<T> {
    const request: AdminRequest = { method, path, ...(query ? { query } : {}), ...(body !== undefined ? { body } : {}) };
    const response = await send(request);
    if (response.status >= 400) {
      const problem = response.body as Partial<Problem> | undefined;
      throw new AdminRefused(request, response.status, problem?.errors?.length ? problem.errors : [problem?.detail ?? `status ${response.status}`]);
    }
    return response.body as T;
  }
  return {
    call: (method, path, body) => call(method, path, body),
    async list<T>(path: string) {
      const items: T[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: T[]; nextCursor?: string | null } = await call('GET', path, undefined, { limit: '200', ...(cursor ? { cursor } : {}) });
        items.push(...page.items);
        cursor = page.nextCursor ?? null;
      } while (cursor);
      return items;
    },
  };
}
