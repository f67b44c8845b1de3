/**
 * What an initial access token allows, and the pure decision: does a registration request fit
 * its policy? The answer is the client to create (for ClientService) or a refusal with the
 * RFC 7591 error code.
 */
import { z } from 'zod';
import { GRANT_TYPES, type NewClient, OIDC_SCOPES } from '../clients/index.ts';
import { RegistrationRefused } from '../errors.ts';

const scopeToken = z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'not a scope token');
/** A host name, or `*.example.com` for any subdomain of example.com. */
const hostPattern = z
  .string()
  .toLowerCase()
  .regex(/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$|^\[[0-9a-f:.]+\]$/, 'not a host name');

export const policySchema = z.object({
  grantTypes: z.array(z.enum(GRANT_TYPES)).min(1).default(['authorization_code', 'refresh_token']),
  scopes: z.array(scopeToken).default(['openid']),
  redirectUriHosts: z.array(hostPattern).default([]),
  allowConfidential: z.boolean().default(false),
  /** APIs (resource indicators) registered clients may be given; their scopes must be in `scopes`. */
  resources: z.array(z.url()).default([]),
});

export type RegistrationPolicy = z.output<typeof policySchema>;
export type RegistrationPolicyInput = z.input<typeof policySchema>;

/** The RFC 7591 client metadata Gatehouse understands; anything else is ignored (§2). */
export const clientMetadataSchema = z.object({
  redirect_uris: z.array(z.string()).optional(),
  post_logout_redirect_uris: z.array(z.string()).optional(),
  token_endpoint_auth_method: z.enum(['none', 'client_secret_basic', 'client_secret_post']).optional(),
  grant_types: z.array(z.string()).optional(),
  response_types: z.array(z.string()).optional(),
  client_name: z.string().min(1).max(200).optional(),
  scope: z.string().max(2000).optional(),
  resources: z.array(z.string()).optional(),
  id_token_signed_response_alg: z.enum(['RS256', 'ES256', 'EdDSA']).optional(),
  software_id: z.string().max(200).optional(),
});

export type ClientMetadataRequest = z.output<typeof clientMetadataSchema>;

export function hostAllowed(host: string, patterns: readonly string[]): boolean {
  const lower = host.toLowerCase();
  return patterns.some((pattern) => (pattern.startsWith('*.') ? lower.endsWith(pattern.slice(1)) && lower.length > pattern.length - 1 : lower === pattern));
}

/**
 * The client a request may become under `policy`: grant types, confidentiality, redirect hosts,
 * scopes and APIs all within it. Omitted scopes and APIs default to everything the policy allows.
 */
export function decideClient(request: ClientMetadataRequest, policy: RegistrationPolicy): NewClient {
  const refuse = (description: string): never => {
    throw new RegistrationRefused('invalid_client_metadata', description);
  };
  const grantTypes = request.grant_types ?? ['authorization_code'];
  if (grantTypes.length === 0) refuse('grant_types must not be empty');
  for (const grant of grantTypes) {
    if (!policy.grantTypes.includes(grant as never)) refuse(`grant type ${grant} is not allowed`);
  }
  const responseTypes = request.response_types ?? (grantTypes.includes('authorization_code') ? ['code'] : []);
  const expected = grantTypes.includes('authorization_code') ? ['code'] : [];
  if (JSON.stringify([...new Set(responseTypes)]) !== JSON.stringify(expected)) {
    refuse(`response_types must be ${JSON.stringify(expected)} for these grant_types`);
  }

  const authMethod = request.token_endpoint_auth_method ?? (policy.allowConfidential ? 'client_secret_basic' : 'none');
  if (authMethod !== 'none' && !policy.allowConfidential) refuse('confidential clients are not allowed: use token_endpoint_auth_method "none"');

  const redirectUris = request.redirect_uris ?? [];
  const postLogoutRedirectUris = request.post_logout_redirect_uris ?? [];
  for (const uri of [...redirectUris, ...postLogoutRedirectUris]) {
    let host: string;
    try {
      host = new URL(uri).hostname;
    } catch {
      throw new RegistrationRefused('invalid_redirect_uri', `${uri} is not an absolute URL`);
    }
    if (!hostAllowed(host, policy.redirectUriHosts)) refuse(`redirect URI host ${host || uri} is not allowed`);
  }

  const scopes = request.scope === undefined ? policy.scopes : request.scope.split(' ').filter(Boolean);
  for (const scope of scopes) {
    if (!policy.scopes.includes(scope)) refuse(`scope ${scope} is not allowed`);
  }
  const resources = request.resources ?? policy.resources;
  for (const resource of resources) {
    if (!policy.resources.includes(resource)) refuse(`resource ${resource} is not allowed`);
  }
  if (resources.length === 0 && scopes.some((scope) => !OIDC_SCOPES.has(scope))) {
    refuse('API scopes need a resource (an API this client may call)');
  }

  return {
    name: request.client_name ?? request.software_id ?? 'Dynamically registered client',
    type: authMethod === 'none' ? 'public' : 'confidential',
    tokenEndpointAuthMethod: authMethod,
    grantTypes: grantTypes as NewClient['grantTypes'],
    redirectUris,
    postLogoutRedirectUris,
    scopes,
    resources,
    firstParty: false,
    ...(request.id_token_signed_response_alg ? { idTokenSigningAlg: request.id_token_signed_response_alg } : {}),
  };
}
