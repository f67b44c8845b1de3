/**
 * Token exchange (RFC 8693) as a pure decision: may this client trade this subject token for a
 * token for that API, with which scopes, and with which `act` chain?
 *
 * The policy lives with the API the subject token was issued for (its `aud`): that API's owner
 * names the services that may pass its callers' tokens on (`clients`), where to (`audiences`), with
 * at most which `scopes`, whether the next API sees the chain (`delegation`: an `act` claim naming
 * the services the token went through, RFC 8693 §4.1) or a plain user token (`impersonation`), and
 * how many services a chain may pass through (`maxChainDepth`). A new token never carries a scope
 * its subject token did not (the user consented to no more) and, delegated, always says who acted.
 */
import { z } from 'zod';

export const EXCHANGE_MODES = ['delegation', 'impersonation'] as const;
export const MAX_CHAIN_DEPTH = 5;

const SCOPE_NAME = /^[\x21\x23-\x5B\x5D-\x7E]+$/; // RFC 6749 scope-token characters

export const tokenExchangeRuleSchema = z.object({
  clients: z.array(z.string().min(1).max(200)).min(1).max(100).describe('Clients (ids) that may exchange tokens issued for this API.'),
  audiences: z.array(z.url()).min(1).max(50).describe('APIs (identifiers) they may get tokens for.'),
  scopes: z.array(z.string().regex(SCOPE_NAME).max(128)).min(1).max(200).describe('The most a new token may carry; never more than the subject token.'),
  mode: z.enum(EXCHANGE_MODES).default('delegation').describe('delegation: the new token names the services in `act`; impersonation: it does not.'),
  maxChainDepth: z
    .number()
    .int()
    .min(1)
    .max(MAX_CHAIN_DEPTH)
    .default(1)
    .describe('How many services a token may have been passed through, this exchange included.'),
});

export type TokenExchangeRule = z.output<typeof tokenExchangeRuleSchema>;

/** RFC 8693 §4.1: the acting party, and (nested) the ones before it. */
export interface ActorClaim {
  sub: string;
  act?: ActorClaim;
}

/** How many services a token has been passed through (its nested `act` claims). */
export function chainDepth(act: unknown): number {
  let depth = 0;
  let current = act;
  while (current && typeof current === 'object' && depth <= MAX_CHAIN_DEPTH) {
    depth += 1;
    current = (current as { act?: unknown }).act;
  }
  return depth;
}

export interface ExchangeRequest {
  /** The rules of the API the subject token was issued for. */
  rules: readonly TokenExchangeRule[];
  sourceApi: string;
  /** The authenticated client asking. */
  clientId: string;
  /** The API the new token is for. */
  target: string;
  /** Scopes asked for (`scope` parameter); undefined: as many as allowed. */
  requestedScopes: readonly string[] | undefined;
  /** What the client could ever hold at the target (the API's scopes it is registered for). */
  targetScopes: readonly string[];
  subject: { clientId: string; scopes: readonly string[]; act?: unknown };
}

export type ExchangeDecision =
  | { ok: true; scopes: string[]; mode: (typeof EXCHANGE_MODES)[number]; depth: number; act?: ActorClaim }
  | { ok: false; error: 'invalid_request' | 'invalid_target' | 'invalid_scope'; reason: string };

export function decideTokenExchange(request: ExchangeRequest): ExchangeDecision {
  const forClient = request.rules.filter((rule) => rule.clients.includes(request.clientId));
  if (forClient.length === 0) {
    return { ok: false, error: 'invalid_request', reason: `client ${request.clientId} may not exchange tokens issued for ${request.sourceApi}` };
  }
  const rule = forClient.find((candidate) => candidate.audiences.includes(request.target));
  if (!rule) {
    return { ok: false, error: 'invalid_target', reason: `tokens for ${request.sourceApi} may not be exchanged for ${request.target} by this client` };
  }
  const depth = chainDepth(request.subject.act) + 1;
  if (depth > rule.maxChainDepth) {
    return { ok: false, error: 'invalid_request', reason: `the token has passed through ${depth - 1} services; ${request.sourceApi} allows ${rule.maxChainDepth} in a chain` };
  }
  const subjectScopes = new Set(request.subject.scopes);
  const targetScopes = new Set(request.targetScopes);
  const allowed = rule.scopes.filter((scope) => subjectScopes.has(scope) && targetScopes.has(scope));
  let scopes: string[];
  if (request.requestedScopes) {
    const refused = request.requestedScopes.filter((scope) => !allowed.includes(scope));
    if (refused.length > 0) return { ok: false, error: 'invalid_scope', reason: `scope not allowed for this exchange: ${refused.join(' ')}` };
    scopes = [...new Set(request.requestedScopes)];
  } else {
    scopes = allowed;
  }
  if (scopes.length === 0) return { ok: false, error: 'invalid_scope', reason: `no scope of the subject token may be passed to ${request.target}` };
  if (rule.mode === 'impersonation') return { ok: true, scopes, mode: rule.mode, depth };
  const act: ActorClaim = { sub: request.subject.clientId };
  if (request.subject.act && typeof request.subject.act === 'object') act.act = request.subject.act as ActorClaim;
  return { ok: true, scopes, mode: rule.mode, depth, act };
}
