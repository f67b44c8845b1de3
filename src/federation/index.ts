/**
 * Federation: sign in with the company's identity provider. Upstream provider records (with
 * presets), the upstream code flow (upstream-client.ts, openid-client), claim and group → role
 * mapping and the linking rules (identity.ts, pure), links of an account. Knows nothing of Koa or
 * oidc-provider: the edge hands it the callback URL and renders what it answers.
 *
 * A sign-in through an upstream: `begin` (the browser goes upstream; the transaction — state,
 * nonce, PKCE verifier, the interaction it belongs to — waits in the key-value store under a
 * digest of `state`) → `callback` (state consumed once, bound to this provider; the response
 * validated; the identity kept for the interaction) → the sign-in flow takes it (`takeIdentity`,
 * reachable only with that interaction's cookie) and `resolve`s it to an account.
 *
 * @example
 * const url = await federation.begin({ provider: 'acme', uid, loginHint: 'x@acme.com' });
 * const outcome = await federation.callback({ provider: 'acme', callbackUrl }); // { kind: 'ok', uid }
 */
import type { Account, AccountService } from '../accounts/index.ts';
import type { AuditTrail } from '../audit/index.ts';
import type { Clock } from '../clock.ts';
import { NotFound } from '../errors.ts';
import { unseal } from '../sealing.ts';
import type { FederationKeyspace } from '../storage/keyspaces/federation.ts';
import type { UpstreamProviderQueries, UpstreamProviderRow } from '../storage/queries/upstream-providers.ts';
import { createTtlCache } from '../ttl-cache.ts';
import { decideLink, domainOf, federatedAmr, mapClaims, mayUnlink, planRoles, type UpstreamIdentity, upstreamMultiFactor } from './identity.ts';
import { type CreateProviderInput, callbackUrlOf, createProviderRecords, type ProviderView, type UpdateProviderInput, viewOf } from './providers.ts';
import { createUpstreamClient, newTransaction, type Transaction, type UpstreamEndpoints, UpstreamRejected, UpstreamUnavailable, versionOf } from './upstream-client.ts';

export type { UpstreamIdentity } from './identity.ts';
export { createProviderSchema, providerNameSchema, providerView, updateProviderSchema } from './providers.ts';
export { UpstreamUnavailable } from './upstream-client.ts';

const TRANSACTION_TTL_SECONDS = 600;
const RESULT_TTL_SECONDS = 300;


interface StoredTransaction extends Transaction {
  uid: string;
  provider: string;
}

/** Why a callback was refused: shown on the page (translated) and audited. */
export type CallbackRefusal =
  | 'missing_state'
  | 'unknown_state'
  | 'replayed_state'
  | 'wrong_provider'
  | 'unknown_provider'
  | 'upstream_error'
  | 'invalid_response'
  | 'upstream_unavailable';

export type CallbackOutcome = { kind: 'ok'; uid: string } | { kind: 'refused'; reason: CallbackRefusal; uid?: string | undefined };

/** An upstream identity, resolved to an account (or not). */
export type Resolution =
  | { kind: 'account'; account: Account; amr: string[]; multiFactor: boolean }
  | { kind: 'prove'; account: Account }
  | { kind: 'refused'; reason: 'no_email' | 'domain_not_allowed' | 'no_account' | 'account_disabled' | 'unknown_provider' | 'already_linked' };

export interface LinkView {
  provider: string;
  displayName: string;
  subject: string;
  email: string | null;
  linkedAt: Date;
}

export interface FederationDeps {
  queries: UpstreamProviderQueries;
  /** Transactions under a digest of `state`, consumed once; verified identities per interaction. */
  store: FederationKeyspace;
  accounts: Pick<AccountService, 'findById' | 'findByEmail' | 'createWithoutPassword' | 'standing'>;
  rbac: {
    directRoleNames(userId: string): Promise<string[]>;
    grant(role: string, userId: string): Promise<void>;
    revoke(role: string, userId: string): Promise<void>;
  };
  audit: AuditTrail;
  keyEncryptionSecret: Uint8Array;
  issuer: string;
  /** http:// upstreams (development and tests only: the issuer itself is http). */
  allowInsecureHttp: boolean;
  clock: Clock;
  /** How long another instance's change to the providers may stay unseen here (local changes: at once). */
  cacheTtlMs: number;
}

export function createFederation(deps: FederationDeps) {
  const { queries, store, audit } = deps;
  const records = createProviderRecords({ queries, keyEncryptionSecret: deps.keyEncryptionSecret, allowInsecureHttp: deps.allowInsecureHttp });
  const client = createUpstreamClient({ allowInsecureHttp: deps.allowInsecureHttp });
  const view = (row: UpstreamProviderRow) => viewOf(row, deps.issuer, deps.keyEncryptionSecret);
  // The enabled providers, read on every password sign-in (home-realm discovery) and login page:
  // cached like clients and APIs, dropped on every change made here.
  const enabledCache = createTtlCache<UpstreamProviderRow[]>({ ttlMs: deps.cacheTtlMs, maxEntries: 1, clock: deps.clock });
  const enabledProviders = () => enabledCache.getOrLoad('enabled', async () => (await queries.list()).filter((row) => row.enabled));

  const endpointsOf = (row: UpstreamProviderRow): UpstreamEndpoints => ({
    name: row.name,
    protocol: row.protocol,
    issuer: row.issuer,
    authorizationEndpoint: row.authorization_endpoint,
    tokenEndpoint: row.token_endpoint,
    userinfoEndpoint: row.userinfo_endpoint,
    clientId: row.client_id,
    clientAuth: row.client_auth,
    scopes: row.scopes,
    version: versionOf([row.protocol, row.issuer, row.authorization_endpoint, row.token_endpoint, row.userinfo_endpoint, row.client_id, row.client_auth, row.client_secret_sealed, row.private_key_sealed]),
    secret: async () => (row.client_secret_sealed ? unseal(row.client_secret_sealed, deps.keyEncryptionSecret) : undefined),
    privateKey: async () => (row.private_key_sealed ? JSON.parse(await unseal(row.private_key_sealed, deps.keyEncryptionSecret)) : undefined),
  });

  async function enabled(name: string): Promise<UpstreamProviderRow | undefined> {
    const row = await queries.find(name);
    return row?.enabled ? row : undefined;
  }

  /** The upstream decides the roles its mapping governs, on every sign-in. */
  async function applyRoles(row: UpstreamProviderRow, accountId: string, identity: UpstreamIdentity) {
    if (Object.keys(row.group_roles).length === 0) return;
    const plan = planRoles(identity.groups, row.group_roles, await deps.rbac.directRoleNames(accountId));
    const skipped: string[] = [];
    for (const role of plan.grant) await deps.rbac.grant(role, accountId).catch((error: unknown) => (error instanceof NotFound ? skipped.push(role) : Promise.reject(error)));
    for (const role of plan.revoke) await deps.rbac.revoke(role, accountId).catch((error: unknown) => (error instanceof NotFound ? undefined : Promise.reject(error)));
    if (plan.grant.length + plan.revoke.length > 0) {
      audit.record({ type: 'federation.roles_mapped', outcome: 'success', subject: accountId, details: { provider: row.name, granted: plan.grant.filter((r) => !skipped.includes(r)), revoked: plan.revoke, unknownRoles: skipped } });
    }
  }

  function signedIn(row: UpstreamProviderRow, account: Account, identity: UpstreamIdentity): Resolution {
    return { kind: 'account', account, amr: federatedAmr(identity, row.trust_upstream_mfa), multiFactor: upstreamMultiFactor(identity, row.trust_upstream_mfa) };
  }

  return {
    /** Admin: records (the secret sealed; the view shows the callback URL to register upstream). */
    async create(input: CreateProviderInput, options: { actor?: string | undefined } = {}): Promise<ProviderView> {
      const row = await records.create(input);
      enabledCache.clear();
      audit.record({ type: 'idp.created', outcome: 'success', subject: row.name, actor: options.actor, details: { issuer: row.issuer, jit: row.jit, domains: row.email_domains } });
      return await view(row);
    },
    async update(name: string, input: UpdateProviderInput, options: { actor?: string | undefined } = {}): Promise<ProviderView> {
      const row = await records.update(name, input);
      enabledCache.clear();
      const { clientSecret: _secret, ...changed } = input;
      audit.record({ type: 'idp.updated', outcome: 'success', subject: name, actor: options.actor, details: { fields: Object.keys(changed).concat(input.clientSecret ? ['clientSecret'] : []) } });
      return view(row);
    },
    async delete(name: string, options: { actor?: string | undefined } = {}): Promise<void> {
      if (!(await queries.delete(name))) throw new NotFound(`identity provider ${name}`);
      enabledCache.clear();
      audit.record({ type: 'idp.deleted', outcome: 'success', subject: name, actor: options.actor });
    },
    async find(name: string): Promise<ProviderView> {
      const row = await queries.find(name);
      if (!row) throw new NotFound(`identity provider ${name}`);
      return view(row);
    },
    list: async (): Promise<ProviderView[]> => Promise.all((await queries.list()).map(view)),

    /** The login page's buttons: every enabled provider. */
    buttons: async (): Promise<Array<{ name: string; displayName: string }>> =>
      (await enabledProviders()).map((row) => ({ name: row.name, displayName: row.display_name })),

    /** Home-realm discovery: the enabled provider bound to this address's domain, if one is. */
    async providerForEmail(email: string): Promise<string | undefined> {
      if (!email.includes('@')) return undefined;
      const domain = domainOf(email);
      return (await enabledProviders()).find((row) => row.email_domains.includes(domain))?.name;
    },

    /** The upstream's authorization URL for interaction `uid`; the transaction waits for the callback. */
    async begin(input: { provider: string; uid: string; loginHint?: string | undefined; prompt?: string | undefined }): Promise<URL> {
      const row = await enabled(input.provider);
      if (!row) throw new NotFound(`identity provider ${input.provider}`);
      const transaction = await newTransaction();
      const url = await client.authorizationUrl(endpointsOf(row), {
        redirectUri: callbackUrlOf(deps.issuer, row.name),
        transaction,
        loginHint: input.loginHint,
        prompt: input.prompt,
      });
      const stored: StoredTransaction = { ...transaction, uid: input.uid, provider: row.name };
      await store.saveTransaction(transaction.state, JSON.stringify(stored), TRANSACTION_TTL_SECONDS);
      audit.record({ type: 'federation.started', outcome: 'info', subject: input.uid, details: { provider: row.name } });
      return url;
    },

    /**
     * The upstream sent the browser back to `/federation/<provider>/callback`. `state` is consumed
     * once (a replay is refused), must belong to this provider (a response of provider A at B's
     * callback is a mix-up), and the response must pass openid-client's checks. Every refusal is
     * audited; nothing is created here.
     */
    async callback(input: { provider: string; callbackUrl: URL; request: { ip: string; userAgent: string; requestId: string } }): Promise<CallbackOutcome> {
      const refuse = (reason: CallbackRefusal, extra: { uid?: string; detail?: string } = {}): CallbackOutcome => {
        audit.record({
          type: 'federation.callback_refused',
          outcome: 'failure',
          subject: extra.uid,
          ip: input.request.ip,
          userAgent: input.request.userAgent,
          requestId: input.request.requestId,
          details: { provider: input.provider, reason, ...(extra.detail ? { detail: extra.detail } : {}) },
        });
        return { kind: 'refused', reason, uid: extra.uid };
      };
      const state = input.callbackUrl.searchParams.get('state');
      if (!state || state.length > 512) return refuse('missing_state');
      const taken = await store.takeTransaction(state, TRANSACTION_TTL_SECONDS);
      if (taken.kind !== 'found') return refuse(taken.kind === 'replayed' ? 'replayed_state' : 'unknown_state');
      const transaction = JSON.parse(taken.value) as StoredTransaction;
      const uid = transaction.uid;
      if (transaction.provider !== input.provider) return refuse('wrong_provider', { uid, detail: `state of ${transaction.provider}` });
      const row = await enabled(input.provider);
      if (!row) return refuse('unknown_provider', { uid });
      let claims: Record<string, unknown>;
      try {
        claims = await client.exchange(endpointsOf(row), { callbackUrl: input.callbackUrl, transaction });
      } catch (error) {
        if (error instanceof UpstreamUnavailable) return refuse('upstream_unavailable', { uid });
        if (error instanceof UpstreamRejected) return refuse(error.reason, { uid, detail: error.detail });
        throw error;
      }
      const identity = mapClaims(row.name, claims, row.claim_mapping);
      if (!identity) return refuse('invalid_response', { uid, detail: 'no subject' });
      await store.saveResult(uid, JSON.stringify(identity), RESULT_TTL_SECONDS);
      return { kind: 'ok', uid };
    },

    /** The identity the callback verified for interaction `uid` (once). */
    async takeIdentity(uid: string): Promise<UpstreamIdentity | undefined> {
      const raw = await store.takeResult(uid);
      return raw ? (JSON.parse(raw) as UpstreamIdentity) : undefined;
    },

    /**
     * The account of an upstream identity, by the linking rules (identity.ts decideLink): an
     * existing link; a silent link only for a verified address in a domain the provider is trusted
     * for; otherwise the owner proves the existing account first (`prove`); a new account just in
     * time if the provider allows it. Group → role mapping on every sign-in.
     */
    async resolve(identity: UpstreamIdentity): Promise<Resolution> {
      const row = await enabled(identity.provider);
      if (!row) return { kind: 'refused', reason: 'unknown_provider' };
      const link = await queries.findLink(row.name, identity.subject);
      const linkedAccount = link ? await deps.accounts.findById(link.user_id) : undefined;
      const byEmail = !linkedAccount && identity.email ? await deps.accounts.findByEmail(identity.email) : undefined;
      const decision = decideLink({
        linked: linkedAccount !== undefined,
        email: identity.email,
        emailVerified: identity.emailVerified,
        domains: row.email_domains,
        trustedForDomains: row.trusted_for_domains,
        accountExists: byEmail !== undefined,
        jit: row.jit,
      });
      const account = linkedAccount ?? byEmail;
      if (account && (await deps.accounts.standing(account.id))?.disabled) return { kind: 'refused', reason: 'account_disabled' };
      switch (decision.kind) {
        case 'refused':
          return decision;
        case 'prove_existing':
          return { kind: 'prove', account: byEmail as Account };
        case 'linked':
          await queries.touchLink(row.name, identity.subject);
          break;
        case 'link_silently':
          if (!(await queries.insertLink({ provider: row.name, subject: identity.subject, userId: (byEmail as Account).id, email: identity.email ?? null }))) return { kind: 'refused', reason: 'already_linked' };
          audit.record({ type: 'federation.linked', outcome: 'success', subject: (byEmail as Account).id, details: { provider: row.name, how: 'verified_email_trusted_domain' } });
          break;
        case 'create': {
          const created = await deps.accounts.createWithoutPassword({ email: identity.email as string, name: identity.name, emailVerified: identity.emailVerified });
          await queries.insertLink({ provider: row.name, subject: identity.subject, userId: created.id, email: identity.email ?? null });
          audit.record({ type: 'federation.jit_created', outcome: 'success', subject: created.id, details: { provider: row.name, emailVerified: identity.emailVerified } });
          await applyRoles(row, created.id, identity);
          return signedIn(row, created, identity);
        }
      }
      const resolved = account as Account;
      await applyRoles(row, resolved.id, identity);
      return signedIn(row, resolved, identity);
    },

    /** After the owner proved the existing account (password, second factor): the link is made. */
    async linkProven(identity: UpstreamIdentity, accountId: string): Promise<'linked' | 'already_linked'> {
      const row = await queries.find(identity.provider);
      if (!row) throw new NotFound(`identity provider ${identity.provider}`);
      if (!(await queries.insertLink({ provider: row.name, subject: identity.subject, userId: accountId, email: identity.email ?? null }))) return 'already_linked';
      audit.record({ type: 'federation.linked', outcome: 'success', subject: accountId, details: { provider: row.name, how: 'proven_account' } });
      await applyRoles(row, accountId, identity);
      return 'linked';
    },

    /** The account's links, for /account. */
    async linksOf(accountId: string): Promise<LinkView[]> {
      const names = new Map((await queries.list()).map((row) => [row.name, row.display_name]));
      return (await queries.linksOf(accountId)).map((link) => ({
        provider: link.provider,
        displayName: names.get(link.provider) ?? link.provider,
        subject: link.subject,
        email: link.email,
        linkedAt: new Date(link.created_at),
      }));
    },

    /** Removes a link, unless it is the account's last way in (no password, no other link). */
    async unlink(accountId: string, provider: string, subject: string, origin: { ip: string; userAgent: string; requestId: string }): Promise<'unlinked' | 'last_way_in' | 'not_found'> {
      const links = await queries.linksOf(accountId);
      if (!links.some((link) => link.provider === provider && link.subject === subject)) return 'not_found';
      const standing = await deps.accounts.standing(accountId);
      if (!mayUnlink({ otherLinks: links.length - 1, hasPassword: standing?.hasPassword ?? false })) return 'last_way_in';
      if (!(await queries.deleteLink(accountId, provider, subject))) return 'not_found';
      audit.record({ type: 'federation.unlinked', outcome: 'success', subject: accountId, ...origin, details: { provider } });
      return 'unlinked';
    },

    /** The `idp` claim: the provider of the account's most recent federated sign-in. */
    idpOf: (accountId: string) => queries.lastUsedProvider(accountId),
  };
}

export type Federation = ReturnType<typeof createFederation>;
