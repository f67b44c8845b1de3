/**
 * Dynamic client registration (RFC 7591) and management (RFC 7592), governed by initial access
 * tokens: an operator mints one with an expiry, a quota of clients and a policy; a client
 * presents it to register itself. Every bearer token here is 256-bit random and stored as a
 * SHA-256 digest; registered clients are third-party and expire when unused.
 *
 * @example
 * const { token } = await registration.mintInitialAccessToken({ expiresIn: 7 * 86_400, quota: 5,
 *   policy: { scopes: ['openid'], redirectUriHosts: ['app.example.com'] } });
 * const response = await registration.register({ initialAccessToken: token, body, origin });
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { AuditEvent, AuditTrail } from '../audit/index.ts';
import { type ClientService, clientSecretMatches, hashClientSecret as digestOf, generateClientSecret as generateBearerToken, OIDC_SCOPES } from '../clients/index.ts';
import type { Clock } from '../clock.ts';
import { InvalidToken, RegistrationRefused, ValidationFailed } from '../errors.ts';
import type { ClientMetadata, ClientQueries } from '../storage/queries/clients.ts';
import type { DynamicRegistrationQueries, InitialAccessTokenRow } from '../storage/queries/dynamic-registration.ts';
import type { Transact } from '../storage/transaction.ts';
import { describeIssues, validated } from '../validation.ts';
import { clientMetadataSchema, decideClient, policySchema, type RegistrationPolicy } from './policy.ts';
import { createSoftwareStatementVerifier, type TrustedIssuers } from './software-statement.ts';

export { hostAllowed, policySchema, type RegistrationPolicy, type RegistrationPolicyInput } from './policy.ts';

/** Where a request came from, for the audit trail. */
export interface RequestOrigin {
  ip?: string | undefined;
  userAgent?: string | undefined;
  requestId?: string | undefined;
}

export interface InitialAccessTokenSummary {
  id: string;
  description: string | null;
  quota: number;
  used: number;
  policy: RegistrationPolicy;
  expiresAt: Date;
  revokedAt: Date | null;
  createdAt: Date;
  state: 'active' | 'expired' | 'revoked' | 'exhausted';
}

const mintSchema = z.object({
  /** Lifetime in seconds: a minute to a year. */
  expiresIn: z.number().int().min(60).max(365 * 86_400),
  quota: z.number().int().min(1).max(100_000),
  policy: policySchema.default(policySchema.parse({})),
  description: z.string().max(200).optional(),
});

export type MintInput = z.input<typeof mintSchema>;

/** How often the last use of a client is written at most (per instance). */
const TOUCH_PERIOD_MS = 3600 * 1000;
const SWEEP_BATCH = 500;

export function createRegistrationService(deps: {
  queries: DynamicRegistrationQueries;
  clientQueries: Pick<ClientQueries, 'find'>;
  /** Composes the writes of one registration (storage/transaction.ts). */
  transact: Transact;
  clients: ClientService;
  audit: AuditTrail;
  clock: Clock;
  issuer: string;
  softwareStatements: { issuers: TrustedIssuers; required: boolean };
  unusedClientTtlSeconds: number;
}) {
  const { queries, clients, audit, clock } = deps;
  const statements = createSoftwareStatementVerifier({ issuers: deps.softwareStatements.issuers, clock });
  const registrationClientUri = (clientId: string) => `${deps.issuer}/register/${encodeURIComponent(clientId)}`;
  const lastTouched = new Map<string, number>();

  const record = (event: Omit<AuditEvent, 'outcome'> & { outcome?: AuditEvent['outcome'] }, origin: RequestOrigin = {}) =>
    audit.record({ outcome: 'success', ...origin, ...event });

  /** Body → client metadata request: the statement's claims win over the body's (§2.3). */
  const readRequest = async (body: unknown) => {
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw new RegistrationRefused('invalid_client_metadata', 'the request body must be a JSON object');
    }
    const raw = body as Record<string, unknown>;
    let merged = raw;
    let softwareStatement: string | null = null;
    if (raw.software_statement !== undefined) {
      const claims = await statements.verify(raw.software_statement);
      softwareStatement = raw.software_statement as string;
      const { iss: _iss, iat: _iat, exp: _exp, nbf: _nbf, jti: _jti, aud: _aud, sub: _sub, ...metadata } = claims;
      merged = { ...raw, ...metadata };
    } else if (deps.softwareStatements.required) {
      throw new RegistrationRefused('invalid_software_statement', 'a software_statement is required');
    }
    const parsed = clientMetadataSchema.safeParse(merged);
    if (!parsed.success) {
      throw new RegistrationRefused('invalid_client_metadata', describeIssues(parsed.error.issues.slice(0, 1), 'metadata')[0] ?? 'metadata: invalid');
    }
    return { request: parsed.data, softwareStatement };
  };

  /** ClientService's and oidc-provider's refusals in RFC 7591 terms. */
  const asRefusal = (error: unknown): never => {
    if (error instanceof ValidationFailed) {
      const redirect = error.issues.some((issue) => /redirect/i.test(issue));
      throw new RegistrationRefused(redirect ? 'invalid_redirect_uri' : 'invalid_client_metadata', error.message);
    }
    throw error;
  };

  const response = (
    metadata: ClientMetadata,
    extra: { issuedAt: Date; softwareStatement: string | null; clientSecret?: string | undefined; registrationAccessToken?: string },
  ) => {
    const scopes = [...String(metadata.scope ?? '').split(' ').filter(Boolean), ...((metadata.resource_scopes as string[] | undefined) ?? [])];
    const confidential = metadata.token_endpoint_auth_method !== 'none';
    return {
      client_id: metadata.client_id,
      ...(extra.clientSecret ? { client_secret: extra.clientSecret } : {}),
      client_id_issued_at: Math.floor(extra.issuedAt.getTime() / 1000),
      ...(confidential ? { client_secret_expires_at: 0 } : {}),
      ...(extra.registrationAccessToken ? { registration_access_token: extra.registrationAccessToken } : {}),
      registration_client_uri: registrationClientUri(metadata.client_id),
      client_name: metadata.client_name,
      redirect_uris: metadata.redirect_uris,
      post_logout_redirect_uris: metadata.post_logout_redirect_uris,
      grant_types: metadata.grant_types,
      response_types: metadata.response_types,
      token_endpoint_auth_method: metadata.token_endpoint_auth_method,
      ...(scopes.length ? { scope: scopes.join(' ') } : {}),
      ...((metadata.resources as string[] | undefined)?.length ? { resources: metadata.resources } : {}),
      ...(metadata.application_type ? { application_type: metadata.application_type } : {}),
      ...(metadata.id_token_signed_response_alg ? { id_token_signed_response_alg: metadata.id_token_signed_response_alg } : {}),
      ...(extra.softwareStatement ? { software_statement: extra.softwareStatement } : {}),
    };
  };

  /** The registration record behind an RFC 7592 request, or InvalidToken (never "no such client"). */
  const authorize = async (clientId: string, registrationAccessToken: string | undefined) => {
    const row = registrationAccessToken ? await queries.findDynamicClient(clientId) : undefined;
    const metadata = row ? await deps.clientQueries.find(clientId) : undefined;
    if (!row || !metadata || !clientSecretMatches(row.registrationTokenDigest, registrationAccessToken ?? '')) {
      throw new InvalidToken('the registration access token is not valid for this client');
    }
    return { row, metadata, policy: policySchema.parse(row.policy) };
  };

  const summarizeToken = (row: InitialAccessTokenRow, now: Date): InitialAccessTokenSummary => ({
    ...row,
    policy: policySchema.parse(row.policy),
    state: row.revokedAt ? 'revoked' : row.expiresAt <= now ? 'expired' : row.used >= row.quota ? 'exhausted' : 'active',
  });

  return {
    /** Mints an initial access token; `token` is shown once (only its digest is kept). */
    async mintInitialAccessToken(input: MintInput, origin: RequestOrigin & { actor?: string } = {}) {
      const { expiresIn, quota, policy, description } = validated(mintSchema, input);
      if (policy.scopes.some((scope) => !OIDC_SCOPES.has(scope)) && policy.resources.length === 0) {
        throw new ValidationFailed(['policy.scopes: API scopes need at least one resource in policy.resources']);
      }
      const id = randomBytes(8).toString('hex');
      const token = generateBearerToken();
      const now = clock.now();
      const expiresAt = new Date(now.getTime() + expiresIn * 1000);
      await queries.insertInitialAccessToken({ id, digest: digestOf(token), description: description ?? null, quota, policy, expiresAt });
      record({ type: 'dcr.iat.minted', subject: id, details: { quota, expiresAt: expiresAt.toISOString(), policy } }, origin);
      return { id, token, quota, policy, expiresAt, description: description ?? null };
    },

    async listInitialAccessTokens(): Promise<InitialAccessTokenSummary[]> {
      const now = clock.now();
      return (await queries.listInitialAccessTokens()).map((row) => summarizeToken(row, now));
    },

    /** Revokes a token: no further registrations with it (clients it registered stay). */
    async revokeInitialAccessToken(id: string, origin: RequestOrigin & { actor?: string } = {}): Promise<boolean> {
      const revoked = await queries.revokeInitialAccessToken(id, clock.now());
      if (revoked) record({ type: 'dcr.iat.revoked', subject: id }, origin);
      return revoked;
    },

    /** RFC 7591 §3: registers a client; the response holds its secret and registration token, once. */
    async register(input: { initialAccessToken: string | undefined; body: unknown; origin?: RequestOrigin }) {
      const origin = input.origin ?? {};
      const refused = (reason: string, error: string) =>
        record({ type: 'dcr.client.registration_refused', outcome: 'failure', details: { reason, error } }, origin);
      try {
        if (!input.initialAccessToken) throw new InvalidToken('an initial access token is required');
        const iatDigest = digestOf(input.initialAccessToken);
        const now = clock.now();
        const iat = await queries.findUsableInitialAccessToken(iatDigest, now);
        if (!iat) throw new InvalidToken('the initial access token is unknown, expired or revoked');
        if (iat.used >= iat.quota) throw new InvalidToken('the initial access token has no registrations left');
        const policy = policySchema.parse(iat.policy);
        const { request, softwareStatement } = await readRequest(input.body);
        const newClient = decideClient(request, policy);
        const registrationAccessToken = generateBearerToken();
        const { metadata, clientSecret } = await clients
          .register(newClient, async (metadata) => {
            // One transaction: the quota is spent only if the client and its registration are stored.
            const stored = await deps.transact(async (q) => {
              const iatId = await q.dynamicRegistration.takeQuota(iatDigest, now);
              if (!iatId) return false;
              await q.clients.insert(metadata);
              await q.dynamicRegistration.insertDynamicClient({
                clientId: metadata.client_id,
                iatId,
                policy,
                registrationTokenDigest: digestOf(registrationAccessToken),
                softwareStatement,
                now,
              });
              return true;
            });
            if (!stored) throw new InvalidToken('the initial access token has no registrations left');
          })
          .catch(asRefusal);
        record(
          { type: 'dcr.client.registered', actor: `iat:${iat.id}`, subject: metadata.client_id, details: { name: metadata.client_name, grantTypes: metadata.grant_types } },
          origin,
        );
        return response(metadata, { issuedAt: now, softwareStatement, clientSecret, registrationAccessToken });
      } catch (error) {
        if (error instanceof RegistrationRefused) refused(error.message, error.error);
        else if (error instanceof InvalidToken) refused(error.message, 'invalid_token');
        throw error;
      }
    },

    /** RFC 7592 §2.1: the client's current registration. */
    async read(clientId: string, registrationAccessToken: string | undefined) {
      const { row, metadata } = await authorize(clientId, registrationAccessToken);
      return response(metadata, { issuedAt: row.createdAt, softwareStatement: row.softwareStatement });
    },

    /** RFC 7592 §2.2: replaces the client's metadata, checked against the policy it registered under. */
    async update(clientId: string, registrationAccessToken: string | undefined, body: unknown, origin: RequestOrigin = {}) {
      const { row, metadata: current, policy } = await authorize(clientId, registrationAccessToken);
      try {
        const raw = (body ?? {}) as Record<string, unknown>;
        if (raw.client_id !== clientId) throw new RegistrationRefused('invalid_client_metadata', 'client_id must match the client being updated');
        if (raw.client_secret !== undefined && (typeof raw.client_secret !== 'string' || !clientSecretMatches(current.client_secret as string | undefined, raw.client_secret))) {
          throw new RegistrationRefused('invalid_client_metadata', 'client_secret does not match');
        }
        const { request, softwareStatement } = await readRequest(body);
        const { metadata, clientSecret } = await clients
          .replace(current, decideClient(request, policy), (metadata) =>
            deps.transact(async (q) => {
              await q.clients.update(metadata);
              await q.dynamicRegistration.setSoftwareStatement(metadata.client_id, softwareStatement);
            }),
          )
          .catch(asRefusal);
        record({ type: 'dcr.client.updated', actor: `client:${clientId}`, subject: clientId, details: { grantTypes: metadata.grant_types } }, origin);
        return response(metadata, { issuedAt: row.createdAt, softwareStatement, clientSecret });
      } catch (error) {
        if (error instanceof RegistrationRefused) {
          record({ type: 'dcr.client.update_refused', outcome: 'failure', subject: clientId, details: { reason: error.message, error: error.error } }, origin);
        }
        throw error;
      }
    },

    /** RFC 7592 §2.3: deletes the client (its registration goes with it). */
    async remove(clientId: string, registrationAccessToken: string | undefined, origin: RequestOrigin = {}): Promise<void> {
      await authorize(clientId, registrationAccessToken);
      await clients.delete(clientId);
      record({ type: 'dcr.client.deleted', actor: `client:${clientId}`, subject: clientId }, origin);
    },

    /**
     * Notes that a client was used (a token was issued to it). Cheap: at most one write per client
     * per hour per instance, and the write only touches registered clients' rows.
     */
    noteClientUsed(clientId: string): Promise<void> {
      const now = clock.now();
      const last = lastTouched.get(clientId);
      if (last !== undefined && now.getTime() - last < TOUCH_PERIOD_MS) return Promise.resolve();
      if (lastTouched.size >= 10_000) lastTouched.clear();
      lastTouched.set(clientId, now.getTime());
      return queries.touch(clientId, now, new Date(now.getTime() - TOUCH_PERIOD_MS));
    },

    /** Deletes registered clients unused for the configured period; safe on every instance at once. */
    async sweepUnusedClients(now = clock.now()): Promise<string[]> {
      const cutoff = new Date(now.getTime() - deps.unusedClientTtlSeconds * 1000);
      const deleted: string[] = [];
      for (const clientId of await queries.unusedSince(cutoff, SWEEP_BATCH)) {
        // One transaction: the registration is still unused (and locked) when its client goes.
        const gone = await deps.transact(async (q) => (await q.dynamicRegistration.lockIfUnusedSince(clientId, cutoff)) && q.clients.delete(clientId));
        if (!gone) continue;
        clients.forget(clientId);
        deleted.push(clientId);
        record({ type: 'dcr.client.expired', subject: clientId, details: { unusedSince: cutoff.toISOString() } });
      }
      return deleted;
    },
  };
}

export type RegistrationService = ReturnType<typeof createRegistrationService>;
