/**
 * django-oauth-toolkit applications → Gatehouse clients with the same client_id and secret.
 * DOT ≥ 2.0 stores secrets hashed with Django's hashers: kept as they are, and re-stored as
 * Gatehouse's digest at the client's first successful authentication. Older, plain secrets are
 * stored as Gatehouse's digest straight away (the client keeps using the same secret).
 */
import { hashClientSecret, type NewClient } from '../../clients/index.ts';
import { ValidationFailed } from '../../errors.ts';
import { classifyDjangoHash } from '../../legacy-hashes/django.ts';
import type { DjangoApplicationRow } from '../../storage/django-source.ts';
import type { ClientMetadata } from '../../storage/queries/clients.ts';
import type { ImportLinkRow } from '../../storage/queries/imports.ts';
import { credentialFingerprint, decideCredential } from './credentials.ts';
import type { Counts, ImportIssue } from './report.ts';

export interface ClientImportOptions {
  /** How confidential clients authenticate (DOT accepts both; oidc-provider wants one per client). */
  authMethod: 'client_secret_basic' | 'client_secret_post';
  /** Scopes for every imported client; default: the OIDC scopes for code clients, none for machines. */
  scopes: string[] | undefined;
  /** Registered APIs (RFC 8707 resources) every imported client may ask tokens for. */
  resources: string[];
}

const GRANTS: Record<string, NewClient['grantTypes']> = {
  'authorization-code': ['authorization_code', 'refresh_token'],
  'client-credentials': ['client_credentials'],
};
const REFUSED_GRANTS: Record<string, string> = {
  implicit: 'the implicit grant is not supported (removed by OAuth 2.1): move the app to authorization code + PKCE',
  password: 'the password grant is not supported (removed by OAuth 2.1): move the app to authorization code + PKCE',
  'openid-hybrid': 'the hybrid flow is not supported: move the app to authorization code + PKCE',
};

const words = (value: string) => value.split(/\s+/).filter(Boolean);

type Mapped = { settings: NewClient; secret: string | undefined } | { issue: Pick<ImportIssue, 'code' | 'detail'> };

/** The client settings and stored secret of one DOT application, or why it cannot be imported. */
export function mapApplication(app: DjangoApplicationRow, options: ClientImportOptions): Mapped {
  const grantTypes = GRANTS[app.grantType];
  if (!grantTypes) {
    return { issue: { code: 'unsupported_grant', detail: REFUSED_GRANTS[app.grantType] ?? `grant type ${app.grantType} is not supported` } };
  }
  const type = app.clientType === 'public' ? 'public' : 'confidential';
  let secret: string | undefined;
  if (type === 'confidential') {
    if (!app.clientSecret) return { issue: { code: 'invalid_client', detail: 'a confidential application without a secret' } };
    if (app.hashClientSecret === true) {
      const kind = classifyDjangoHash(app.clientSecret);
      if (kind.kind !== 'supported') {
        return { issue: { code: 'secret_hash_unsupported', detail: 'its secret is hashed in a format Gatehouse refuses: rotate it in Django first, or create the client anew' } };
      }
      secret = app.clientSecret;
    } else {
      secret = hashClientSecret(app.clientSecret);
    }
  }
  const authMethod = type === 'public' ? 'none' : app.tokenEndpointAuthMethod === 'client_secret_post' || app.tokenEndpointAuthMethod === 'client_secret_basic' ? app.tokenEndpointAuthMethod : options.authMethod;
  const isCode = grantTypes.includes('authorization_code');
  const origins = words(app.allowedOrigins);
  return {
    settings: {
      name: app.name.trim().slice(0, 200) || app.clientId,
      type,
      grantTypes,
      redirectUris: words(app.redirectUris),
      postLogoutRedirectUris: words(app.postLogoutRedirectUris),
      scopes: options.scopes ?? (isCode ? ['openid', 'profile', 'email', 'offline_access'] : []),
      resources: options.resources,
      tokenEndpointAuthMethod: authMethod,
      firstParty: app.skipAuthorization,
      ...(origins.length ? { allowedCorsOrigins: origins } : {}),
    },
    secret,
  };
}

export interface ClientPlan {
  counts: Counts;
  insert: ClientMetadata[];
  update: ClientMetadata[];
  links: Array<{ sourceKey: string; target: string; fingerprint: string }>;
  issues: ImportIssue[];
}

/** JSON with sorted keys: two metadata records are equal when every member is. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export async function planClients(input: {
  applications: readonly DjangoApplicationRow[];
  links: readonly ImportLinkRow[];
  existing: readonly ClientMetadata[];
  options: ClientImportOptions;
  /** The client service's check: settings → metadata, or ValidationFailed. */
  metadataFor: (clientId: string, settings: NewClient, secret: string | undefined, existing?: ClientMetadata) => Promise<ClientMetadata>;
}): Promise<ClientPlan> {
  const plan: ClientPlan = { counts: { inSource: input.applications.length, create: 0, update: 0, unchanged: 0, skipped: 0 }, insert: [], update: [], links: [], issues: [] };
  const linked = new Map(input.links.filter((link) => link.kind === 'client').map((link) => [link.source_key, link]));
  const byId = new Map(input.existing.map((metadata) => [metadata.client_id, metadata]));
  for (const app of input.applications) {
    const issue = (code: ImportIssue['code'], detail: string, imported = false) =>
      plan.issues.push({ kind: 'client', key: app.clientId, label: app.name || app.clientId, code, detail, imported });
    const mapped = mapApplication(app, input.options);
    if ('issue' in mapped) {
      issue(mapped.issue.code, mapped.issue.detail);
      continue;
    }
    const link = linked.get(app.id);
    const current = byId.get(app.clientId);
    if (!link && current) {
      issue('client_id_taken', 'a Gatehouse client with this client_id exists and was not created by this import; it is left as it is');
      continue;
    }
    if (link && !current) {
      issue('invalid_client', 'imported before and deleted in Gatehouse since; not re-created');
      continue;
    }
    const currentSecret = typeof current?.client_secret === 'string' ? current.client_secret : '';
    const decision = link ? decideCredential(link.fingerprint, app.clientSecret, currentSecret) : { kind: 'replace' as const };
    const secret = decision.kind === 'replace' ? mapped.secret : currentSecret || mapped.secret;
    let metadata: ClientMetadata;
    try {
      metadata = await input.metadataFor(app.clientId, mapped.settings, secret, current);
    } catch (error) {
      if (!(error instanceof ValidationFailed)) throw error;
      issue('invalid_client', error.issues.join('; '));
      continue;
    }
    if (app.algorithm === 'HS256') issue('id_token_algorithm', 'ID tokens were HS256 (signed with the secret): Gatehouse signs them with its keys (RS256); verify with the JWKS', true);
    if (decision.kind === 'keep_gatehouse') issue('secret_kept', 'the secret changed in Django, and in Gatehouse since the last import: Gatehouse’s is kept', true);
    const fingerprint = credentialFingerprint(app.clientSecret, typeof metadata.client_secret === 'string' ? metadata.client_secret : '');
    if (!current) {
      plan.insert.push(metadata);
      plan.links.push({ sourceKey: app.id, target: app.clientId, fingerprint });
      plan.counts.create += 1;
    } else if (canonical(metadata) !== canonical(current) || decision.kind !== 'unchanged') {
      if (canonical(metadata) !== canonical(current)) plan.update.push(metadata);
      plan.links.push({ sourceKey: app.id, target: app.clientId, fingerprint });
      plan.counts.update += 1;
    } else {
      plan.counts.unchanged += 1;
    }
  }
  plan.counts.skipped = plan.issues.filter((entry) => !entry.imported).length;
  return plan;
}
