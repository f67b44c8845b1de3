/**
 * An API's own credentials for the introspection endpoint (RFC 7662 §2.1: "the protected
 * resource" calls it). The API authenticates as a client that can do nothing but introspect:
 * no grant types, no response types, no redirect URIs, so the token and authorization endpoints
 * refuse it. The secret is shown once and stored as a digest, as a client's is; private_key_jwt
 * takes public keys inline or a jwks_uri.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { generateClientSecret, hashClientSecret, publicJwks } from '../clients/index.ts';
import type { ClientMetadata } from '../storage/queries/clients.ts';

export const API_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;
export type ApiAuthMethod = (typeof API_AUTH_METHODS)[number];

/**
 * Ids of API credentials start with this, so the client lookup asks the APIs only for these and
 * an operator reading a log line sees at once that an API, not a client, introspected.
 */
export const API_CLIENT_ID_PREFIX = 'api-';

export const apiCredentialsInputSchema = z
  .object({
    method: z.enum(API_AUTH_METHODS).default('client_secret_basic'),
    jwksUri: z.url().optional(),
    jwks: publicJwks.optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: 'custom', message });
    if (input.method === 'private_key_jwt' && !input.jwks && !input.jwksUri) issue('private_key_jwt needs jwksUri or jwks');
    if (input.method !== 'private_key_jwt' && (input.jwks || input.jwksUri)) issue('jwks and jwksUri are for private_key_jwt');
    if (input.jwks && input.jwksUri) issue('jwks and jwksUri are mutually exclusive');
  });
export type ApiCredentialsInput = z.input<typeof apiCredentialsInputSchema>;

/** What is stored in `apis.introspection_credentials`. */
export interface StoredApiCredentials {
  method: ApiAuthMethod;
  secretDigest?: string;
  jwksUri?: string;
  jwks?: { keys: Array<Record<string, unknown>> };
}

/** New credentials: a fresh client id, and for the secret methods a secret returned once. */
export function issueApiCredentials(input: z.output<typeof apiCredentialsInputSchema>): {
  clientId: string;
  stored: StoredApiCredentials;
  clientSecret: string | undefined;
} {
  const clientId = API_CLIENT_ID_PREFIX + randomBytes(16).toString('base64url');
  if (input.method === 'private_key_jwt') {
    return { clientId, clientSecret: undefined, stored: { method: input.method, ...(input.jwks ? { jwks: input.jwks } : { jwksUri: input.jwksUri! }) } };
  }
  const clientSecret = generateClientSecret();
  return { clientId, clientSecret, stored: { method: input.method, secretDigest: hashClientSecret(clientSecret) } };
}

/**
 * The client oidc-provider authenticates: it may introspect tokens for `identifier` and nothing
 * else (`introspects_for_api`, read by oidc/introspection.ts).
 */
export function introspectionClientMetadata(
  api: { identifier: string; name: string; signing_alg: string },
  clientId: string,
  stored: StoredApiCredentials,
): ClientMetadata {
  return {
    client_id: clientId,
    client_name: api.name,
    grant_types: [],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: stored.method,
    ...(stored.secretDigest ? { client_secret: stored.secretDigest } : {}),
    ...(stored.jwks ? { jwks: stored.jwks } : {}),
    ...(stored.jwksUri ? { jwks_uri: stored.jwksUri } : {}),
    // RFC 9701 answers (Accept: application/token-introspection+jwt) are signed like the API's tokens.
    introspection_signed_response_alg: api.signing_alg,
    introspects_for_api: api.identifier,
  };
}
