import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { DEVICE_CODE_GRANT } from '../clients/index.ts';
import type { Logger } from '../logger.ts';

/** oidc-provider's error events for the endpoints Gatehouse serves (server errors have their own). */
const ERROR_EVENTS = [
  'authorization.error',
  'grant.error',
  'introspection.error',
  'revocation.error',
  'userinfo.error',
  'end_session.error',
  'end_session_confirm.error',
  'pushed_authorization_request.error',
  'discovery.error',
  'jwks.error',
] as const;

/** The fields of oidc-provider's OIDCProviderError that describe what went wrong. */
interface ProviderError {
  error?: string;
  error_description?: string;
  /** The real reason behind a deliberately generic answer ("authorization code is expired"). */
  error_detail?: string;
}

/**
 * Why a request failed, said once per failure: oidc-provider answers `invalid_grant` "grant
 * request is invalid" alike for an expired, reused or unknown code and a wrong code_verifier (so a
 * client learns nothing it should not), but keeps the reason in `error_detail`. The log line
 * carries that reason with the request id and client id — never parameter values, so neither a
 * code nor a verifier nor a token can reach the log — and `count` feeds
 * `gatehouse_oauth_errors_total{endpoint,error}`.
 */
export function reportOAuthErrors(
  provider: Provider,
  deps: { logger: Logger; count?: (endpoint: string, error: string) => void },
): void {
  for (const event of ERROR_EVENTS) {
    // Every one of these events has the same (ctx, error) signature; the typings list them one by one.
    provider.on(event as 'grant.error', (ctx: KoaContextWithOIDC, err: ProviderError) => {
      const endpoint = ctx?.oidc?.route ?? event.slice(0, -'.error'.length);
      const error = answeredError(endpoint, err.error ?? 'unknown', err.error_description);
      deps.count?.(endpoint, error);
      deps.logger.info(
        {
          event: 'oauth.error',
          endpoint,
          error,
          description: err.error_description,
          reason: err.error_detail ?? err.error_description,
          clientId: ctx?.oidc?.client?.clientId ?? clientIdParameter(ctx),
          grantType: endpoint === 'token' ? stringParameter(ctx, 'grant_type') : undefined,
          requestId: ctx?.res?.getHeader('x-request-id'),
        },
        `${endpoint}: ${error} (${err.error_detail ?? err.error_description ?? 'no detail'})`,
      );
    });
  }
}

/**
 * The error code the client receives. Deviation from oidc-provider 9.13.3: it answers a grant type
 * the client is not registered for with invalid_request; RFC 6749 §5.2 names unauthorized_client
 * for exactly this case (provider.ts rewrites the body, the log and the metric say the same).
 */
export function answeredError(endpoint: string, error: string, description: string | undefined): string {
  if (error !== 'invalid_request') return error;
  if (endpoint === 'token' && description === 'requested grant type is not allowed for this client') return 'unauthorized_client';
  // RFC 8628 §3.2 answers with RFC 6749 §5.2's codes: a client not registered for the device grant is unauthorized_client.
  if (endpoint === 'device_authorization' && description === `${DEVICE_CODE_GRANT} is not allowed for this client`) return 'unauthorized_client';
  return error;
}

/** The client an unauthenticated request named, when it names one (a failed client authentication). */
function clientIdParameter(ctx: KoaContextWithOIDC | undefined): string | undefined {
  return stringParameter(ctx, 'client_id');
}

function stringParameter(ctx: KoaContextWithOIDC | undefined, name: string): string | undefined {
  const value = (ctx?.oidc?.params as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' && value.length <= 200 ? value : undefined;
}
