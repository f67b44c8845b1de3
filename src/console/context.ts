/**
 * What every console page shares: its dependencies, the operator behind the browser, the one way
 * to reach the admin API (with the operator's own token, through the admin dispatch) and the page
 * renderer. Page files import this one; it imports none of them.
 */
import type { Context } from 'koa';
import { z } from 'zod';
import type { AdminAccess, AdminCaller, AdminResponse } from '../admin/index.ts';
import type { Views } from '../http/views.ts';
import type { Logger } from '../logger.ts';
import type { ConsoleSessionKeyspace } from '../storage/keyspaces/console-sessions.ts';

export interface ConsoleDeps {
  issuer: string;
  /** The console's own first-party client (clients.ensureConsoleClient). */
  clientId: string;
  /** The admin API's resource identifier: the audience of the operator's token. */
  adminAudience: string;
  admin: { call: AdminCaller; access: AdminAccess };
  /** Where the operator's token waits between requests (never in the page, never in a cookie). */
  sessions: ConsoleSessionKeyspace;
  views: Views;
  logger: Logger;
  secureCookies: boolean;
  bodyLimitBytes: number;
}

/** The person signed in to the console, as the console's session keeps them. */
export interface Operator {
  sessionId: string;
  accessToken: string;
  idToken: string;
  subject: string;
  email: string;
  /** Holds the `admin` role (not just `admin:read`): write forms are shown. The admin API decides anyway. */
  canWrite: boolean;
}

/** The console's session has ended (token expired or gone): sign in again. */
export class ConsoleSessionEnded extends Error {}

export type Query = Record<string, string | undefined>;

/** One admin request with the operator's token; a 401 (expired token) ends the console session. */
export async function adminCall(
  deps: ConsoleDeps,
  ctx: Context,
  request: { method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; path: string; query?: Query; body?: unknown },
): Promise<AdminResponse> {
  const operator = ctx.state.operator as Operator;
  const query = Object.fromEntries(Object.entries(request.query ?? {}).filter((entry): entry is [string, string] => Boolean(entry[1])));
  const response = await deps.admin.call(operator.accessToken, { method: request.method, path: request.path, query, body: request.body, ip: ctx.ip });
  if (response.status === 401) throw new ConsoleSessionEnded();
  return response;
}

/** A GET that must succeed (else the problem is shown as the page's error). */
export async function adminGet<T>(deps: ConsoleDeps, ctx: Context, path: string, query?: Query): Promise<T> {
  const response = await adminCall(deps, ctx, { method: 'GET', path, ...(query ? { query } : {}) });
  if (response.status !== 200) throw new AdminProblem(response);
  return response.body as T;
}

/** An admin API refusal or error, shown on the console's error page with the API's own words. */
export class AdminProblem extends Error {
  readonly status: number;
  constructor(response: AdminResponse) {
    const body = response.body as { detail?: string; errors?: string[] } | undefined;
    super([body?.detail, ...(body?.errors ?? [])].filter(Boolean).join(' — ') || `the admin API answered ${response.status}`);
    this.status = response.status;
  }
}

export const enc = encodeURIComponent;

/** The message of a failed admin write, for a notice on the page it came from. */
export function problemText(response: AdminResponse): string {
  return new AdminProblem(response).message;
}

export type Notice = { kind: 'ok' | 'error'; text: string; vars?: Record<string, string | number> };

/** Renders a console page in the operator's language; console pages are never cached. */
export function renderPage(deps: ConsoleDeps, ctx: Context, template: string, data: Record<string, unknown>, status = 200): void {
  const operator = ctx.state.operator as Operator | undefined;
  const done = typeof ctx.query.done === 'string' && /^[a-z_]{1,40}$/.test(ctx.query.done) ? ctx.query.done : undefined;
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  ctx.body = deps.views.render(`console/${template}`, {
    locale: ctx.state.locale,
    csrf: ctx.state.csrf,
    operator: operator ? { email: operator.email, canWrite: operator.canWrite } : undefined,
    notice: done ? { kind: 'ok', text: `console.done.${done}` } : undefined,
    section: template.split('-')[0],
    ...data,
  });
}

/** What a console write expects, and where the operator goes next. */
export interface WriteOutcome {
  /** The admin API's status on success; any 2xx when absent. */
  expect?: number;
  /** The page a refusal links back to. */
  back: string;
  /** After success (Post/Redirect/Get): the page, and its "done" notice. */
  done: readonly [path: string, notice: string];
  /** A destructive write: what the operator typed, and what they had to type. */
  confirm?: readonly [typed: string, expected: string];
}

/**
 * One console write through the admin API: a typed confirmation that does not match, or any
 * answer but the expected one, shows the problem page (the API's own words) with a link back;
 * success redirects to the done page with its notice.
 */
export async function adminWrite(deps: ConsoleDeps, ctx: Context, request: Parameters<typeof adminCall>[2], outcome: WriteOutcome): Promise<void> {
  if (outcome.confirm && outcome.confirm[0] !== outcome.confirm[1]) {
    return renderPage(deps, ctx, 'problem', { message: 'console.confirm_mismatch', back: outcome.back }, 400);
  }
  const response = await adminCall(deps, ctx, request);
  const succeeded = outcome.expect === undefined ? response.status >= 200 && response.status < 300 : response.status === outcome.expect;
  if (!succeeded) return renderPage(deps, ctx, 'problem', { message: problemText(response), back: outcome.back }, response.status);
  redirectDone(ctx, ...outcome.done);
}

/** After a successful write: back to a page, with its "done" notice (Post/Redirect/Get). */
export function redirectDone(ctx: Context, path: string, done: string): void {
  ctx.status = 303;
  ctx.redirect(`${path}${path.includes('?') ? '&' : '?'}done=${done}`);
}

/** A checkbox list or a comma/newline-separated text field as a clean list. */
function listField(value: string | string[] | undefined): string[] {
  const values = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,]+/) : [];
  return [...new Set(values.map((entry) => entry.trim()).filter(Boolean))];
}

/**
 * Form and query fields as the browser sends them, for the route records' schemas (the router
 * validates them; no handler reads the raw body). Text is trimmed ('' when absent); the admin
 * API judges the values themselves and its words are shown on the form.
 */
export const formText = (max = 500) =>
  z
    .string()
    .max(max)
    .optional()
    .transform((value) => (value ?? '').trim());
/** Checkboxes with one name, or a text field of values separated by spaces, commas or lines. */
export const formList = z
  .union([z.string().max(20_000), z.array(z.string().max(2_000)).max(500)])
  .optional()
  .transform(listField);
/** An HTML checkbox: present (`on`) or absent. */
export const formCheckbox = z
  .string()
  .max(10)
  .optional()
  .transform((value) => value === 'on');
/** The typed confirmation of a destructive form. */
export const confirmForm = z.object({ confirm: formText(500) });

