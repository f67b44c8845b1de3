/**
 * Upstream provider records: validated input (admin API and CLI), secrets sealed at rest (JWE
 * dir/A256GCM under the key-encryption secret, like signing keys), presets applied, and the
 * record as the admin API shows it (never a secret; the callback URL to register upstream).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Conflict, NotFound, ValidationFailed } from '../errors.ts';
import { seal, unseal } from '../sealing.ts';
import type { UpstreamProviderRow } from '../storage/queries/upstream-providers.ts';
import { DEFAULT_CLAIM_MAPPING } from './identity.ts';
import { PRESET_NAMES, presetFill } from './presets.ts';

export const providerNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'Lower-case letters, digits and -, at most 40.')
  .describe('A short name: in the callback URL and the `idp` claim (e.g. acme).');

const domain = z
  .string()
  .regex(/^(?=.{1,253}$)([a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$/, 'A domain such as acme.com.')
  .transform((value) => value.toLowerCase());
const claimName = z.string().min(1).max(100);
const groupRoles = z.record(z.string().min(1).max(256), z.array(z.string().min(1).max(128)).max(32)).describe('Upstream group → Gatehouse roles, applied on every sign-in.');

const editable = {
  displayName: z.string().min(1).max(100).optional().describe('The button text: "Continue with <displayName>".'),
  issuer: z.url().max(500).optional().describe('The upstream issuer (OpenID Connect discovery); filled by a preset.'),
  authorizationEndpoint: z.url().max(500).optional().describe('Plain OAuth 2 (no discovery): the authorization endpoint.'),
  tokenEndpoint: z.url().max(500).optional().describe('Plain OAuth 2: the token endpoint.'),
  userinfoEndpoint: z.url().max(500).optional().describe('Plain OAuth 2: where the person is read (GitHub-style).'),
  clientId: z.string().min(1).max(500).optional().describe('The client id the upstream issued to Gatehouse.'),
  clientSecret: z.string().min(1).max(4096).optional().describe('Sealed at rest; never shown again.'),
  clientAuth: z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt']).optional().describe('How Gatehouse authenticates to the upstream token endpoint.'),
  scopes: z.array(z.string().min(1).max(200)).max(20).optional().describe('Scopes asked of the upstream (default: openid, email, profile).'),
  domains: z.array(domain).max(50).optional().describe('Allowed email domains (none: any); also the domains of home-realm discovery.'),
  jit: z.boolean().optional().describe('Create an account at the first sign-in (just in time).'),
  trustedForDomains: z.boolean().optional().describe('Link to an existing account of an allowed domain when the upstream says the address is verified.'),
  trustUpstreamMfa: z.boolean().optional().describe('The upstream’s MFA (its amr) counts as Gatehouse’s second factor.'),
  emailClaim: claimName.optional().describe('The upstream claim holding the email address (default email).'),
  emailVerifiedClaim: claimName.optional().describe('The claim saying the address is verified (default email_verified).'),
  nameClaim: claimName.optional().describe('The claim holding the person’s name (default name).'),
  groupsClaim: claimName.optional().describe('The claim listing the person’s groups (default groups).'),
  groupRoles: groupRoles.optional(),
  enabled: z.boolean().optional().describe('Shown on the login page and usable (default true).'),
};

export const createProviderSchema = z.object({
  name: providerNameSchema,
  preset: z.enum(PRESET_NAMES).optional().describe('Fill endpoints and claim mapping for a well-known provider.'),
  tenant: z.string().min(1).max(100).optional().describe('Microsoft Entra ID: the tenant id or domain, or `organizations` (default).'),
  ...editable,
});
export const updateProviderSchema = z.object(editable);

export type CreateProviderInput = z.infer<typeof createProviderSchema>;
export type UpdateProviderInput = z.infer<typeof updateProviderSchema>;

/** The record as the admin API shows it. */
export const providerView = z
  .object({
    name: z.string(),
    displayName: z.string(),
    protocol: z.enum(['oidc', 'oauth2']),
    preset: z.string().nullable(),
    issuer: z.string(),
    authorizationEndpoint: z.string().nullable(),
    tokenEndpoint: z.string().nullable(),
    userinfoEndpoint: z.string().nullable(),
    clientId: z.string(),
    clientAuth: z.string(),
    hasClientSecret: z.boolean(),
    publicJwk: z
      .record(z.string(), z.unknown())
      .nullable()
      .describe('private_key_jwt: the public key to register at the upstream (Gatehouse generated the pair; the private half is sealed here).'),
    scopes: z.array(z.string()),
    domains: z.array(z.string()),
    jit: z.boolean(),
    trustedForDomains: z.boolean(),
    trustUpstreamMfa: z.boolean(),
    claimMapping: z.object({ email: z.string(), emailVerified: z.string(), name: z.string(), groups: z.string() }),
    groupRoles: z.record(z.string(), z.array(z.string())),
    enabled: z.boolean(),
    callbackUrl: z.string().describe('Register this redirect URI at the upstream.'),
  })
  .meta({ id: 'UpstreamProvider' });
export type ProviderView = z.infer<typeof providerView>;

export const callbackUrlOf = (issuer: string, name: string) => `${issuer.replace(/\/$/, '')}/federation/${name}/callback`;

/** The public half of the sealed private_key_jwt key, to register at the upstream. */
async function publicJwkOf(row: UpstreamProviderRow, secret: Uint8Array): Promise<Record<string, unknown> | null> {
  if (!row.private_key_sealed) return null;
  const { kid, alg, kty, n, e, crv, x, y } = JSON.parse(await unseal(row.private_key_sealed, secret)) as Record<string, unknown>;
  return Object.fromEntries(Object.entries({ kty, kid, alg, use: 'sig', n, e, crv, x, y }).filter(([, value]) => value !== undefined));
}

export async function viewOf(row: UpstreamProviderRow, issuer: string, secret: Uint8Array): Promise<ProviderView> {
  return {
    publicJwk: await publicJwkOf(row, secret),
    name: row.name,
    displayName: row.display_name,
    protocol: row.protocol,
    preset: row.preset,
    issuer: row.issuer,
    authorizationEndpoint: row.authorization_endpoint,
    tokenEndpoint: row.token_endpoint,
    userinfoEndpoint: row.userinfo_endpoint,
    clientId: row.client_id,
    clientAuth: row.client_auth,
    hasClientSecret: row.client_secret_sealed !== null,
    scopes: row.scopes,
    domains: row.email_domains,
    jit: row.jit,
    trustedForDomains: row.trusted_for_domains,
    trustUpstreamMfa: row.trust_upstream_mfa,
    claimMapping: row.claim_mapping,
    groupRoles: row.group_roles,
    enabled: row.enabled,
    callbackUrl: callbackUrlOf(issuer, row.name),
  };
}

/** What is wrong with a complete record, in words (empty: fine). */
function problemsOf(row: UpstreamProviderRow, allowInsecureHttp: boolean): string[] {
  const problems: string[] = [];
  const urls = [row.issuer, row.authorization_endpoint, row.token_endpoint, row.userinfo_endpoint].filter((url): url is string => url !== null);
  if (!allowInsecureHttp && urls.some((url) => !url.startsWith('https://'))) problems.push('Upstream URLs must be https.');
  if (row.protocol === 'oauth2' && (!row.authorization_endpoint || !row.token_endpoint || !row.userinfo_endpoint)) {
    problems.push('Plain OAuth 2 needs authorizationEndpoint, tokenEndpoint and userinfoEndpoint.');
  }
  if (row.client_auth !== 'private_key_jwt' && row.client_secret_sealed === null) problems.push('Give the client secret (or use clientAuth private_key_jwt).');
  if (row.jit && row.email_domains.length === 0) problems.push('Just-in-time accounts need allowed domains (domains), or anyone at the upstream could create one.');
  if (row.trusted_for_domains && row.email_domains.length === 0) problems.push('trustedForDomains needs the domains it is trusted for (domains).');
  return problems;
}

export function createProviderRecords(deps: {
  queries: {
    insert(row: UpstreamProviderRow): Promise<void>;
    update(name: string, changes: Partial<Omit<UpstreamProviderRow, 'name'>>): Promise<boolean>;
    find(name: string): Promise<UpstreamProviderRow | undefined>;
  };
  keyEncryptionSecret: Uint8Array;
  allowInsecureHttp: boolean;
}) {
  const sealSecret = (secret: string) => seal(secret, deps.keyEncryptionSecret, 'upstream-client-secret');
  const check = (row: UpstreamProviderRow) => {
    const problems = problemsOf(row, deps.allowInsecureHttp);
    if (problems.length > 0) throw new ValidationFailed(problems);
  };

  async function applyEdits(row: UpstreamProviderRow, input: UpdateProviderInput): Promise<UpstreamProviderRow> {
    const next: UpstreamProviderRow = { ...row };
    if (input.displayName !== undefined) next.display_name = input.displayName;
    if (input.issuer !== undefined) next.issuer = input.issuer.replace(/\/$/, '');
    if (input.authorizationEndpoint !== undefined) next.authorization_endpoint = input.authorizationEndpoint;
    if (input.tokenEndpoint !== undefined) next.token_endpoint = input.tokenEndpoint;
    if (input.userinfoEndpoint !== undefined) next.userinfo_endpoint = input.userinfoEndpoint;
    if (input.clientId !== undefined) next.client_id = input.clientId;
    if (input.clientSecret !== undefined) next.client_secret_sealed = await sealSecret(input.clientSecret);
    if (input.clientAuth !== undefined) next.client_auth = input.clientAuth;
    if (input.scopes !== undefined) next.scopes = input.scopes;
    if (input.domains !== undefined) next.email_domains = [...new Set(input.domains)];
    if (input.jit !== undefined) next.jit = input.jit;
    if (input.trustedForDomains !== undefined) next.trusted_for_domains = input.trustedForDomains;
    if (input.trustUpstreamMfa !== undefined) next.trust_upstream_mfa = input.trustUpstreamMfa;
    if (input.groupRoles !== undefined) next.group_roles = input.groupRoles;
    if (input.enabled !== undefined) next.enabled = input.enabled;
    if (next.client_auth === 'private_key_jwt' && !next.private_key_sealed) {
      // Gatehouse makes the key pair: the private half never leaves it, the public half is shown to register upstream.
      // jose at first use: the admin routes import this module for its schemas, in the CLI too.
      const { exportJWK, generateKeyPair } = await import('jose');
      const { privateKey } = await generateKeyPair('RS256', { extractable: true });
      const jwk = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: 'RS256' };
      next.private_key_sealed = await seal(JSON.stringify(jwk), deps.keyEncryptionSecret, 'upstream-private-key');
    }
    next.claim_mapping = {
      email: input.emailClaim ?? row.claim_mapping.email,
      emailVerified: input.emailVerifiedClaim ?? row.claim_mapping.emailVerified,
      name: input.nameClaim ?? row.claim_mapping.name,
      groups: input.groupsClaim ?? row.claim_mapping.groups,
    };
    return next;
  }

  return {
    async create(input: CreateProviderInput): Promise<UpstreamProviderRow> {
      const fill = input.preset ? presetFill(input.preset, { tenant: input.tenant }) : undefined;
      const protocol = input.authorizationEndpoint && !input.issuer ? 'oauth2' : (fill?.protocol ?? (input.userinfoEndpoint && input.tokenEndpoint ? 'oauth2' : 'oidc'));
      const issuer = input.issuer ?? fill?.issuer;
      if (!issuer) throw new ValidationFailed(['Give the issuer (or a preset).']);
      if (!input.clientId) throw new ValidationFailed(['Give the client id the upstream issued (clientId).']);
      const base: UpstreamProviderRow = {
        name: input.name,
        display_name: fill?.displayName ?? input.name,
        protocol,
        preset: input.preset ?? null,
        issuer: issuer.replace(/\/$/, ''),
        authorization_endpoint: fill?.authorizationEndpoint ?? null,
        token_endpoint: fill?.tokenEndpoint ?? null,
        userinfo_endpoint: fill?.userinfoEndpoint ?? null,
        client_id: input.clientId,
        client_secret_sealed: null,
        private_key_sealed: null,
        client_auth: 'client_secret_basic',
        scopes: fill?.scopes ?? ['openid', 'email', 'profile'],
        email_domains: [],
        jit: false,
        trusted_for_domains: false,
        trust_upstream_mfa: false,
        claim_mapping: fill?.claimMapping ?? DEFAULT_CLAIM_MAPPING,
        group_roles: {},
        enabled: true,
      };
      const row = await applyEdits(base, { ...input, issuer: undefined });
      check(row);
      try {
        await deps.queries.insert(row);
      } catch (error) {
        if (error instanceof Conflict) throw new Conflict(`an identity provider named ${input.name} already exists`);
        throw error;
      }
      return row;
    },

    async update(name: string, input: UpdateProviderInput): Promise<UpstreamProviderRow> {
      const row = await deps.queries.find(name);
      if (!row) throw new NotFound(`identity provider ${name}`);
      const next = await applyEdits(row, input);
      check(next);
      const { name: _same, ...changes } = next;
      if (!(await deps.queries.update(name, changes))) throw new NotFound(`identity provider ${name}`);
      return next;
    },
  };
}
