/**
 * The only module that reaches into oidc-provider's internals (`oidc-provider/lib/...`).
 * Pinned to oidc-provider 9.13.3: an upgrade reviews this file and refresh-token-grant.ts.
 */

import type Provider from 'oidc-provider';
import difference from 'oidc-provider/lib/helpers/_/difference.js';
import certificateThumbprint from 'oidc-provider/lib/helpers/certificate_thumbprint.js';
import { checkAttestBinding } from 'oidc-provider/lib/helpers/check_attest_binding.js';
import { boolean, resourceServer } from 'oidc-provider/lib/helpers/configuration_result.js';
import * as formatters from 'oidc-provider/lib/helpers/formatters.js';
import {
  applyDpopBinding,
  applyMtlsBinding,
  checkAccountMismatch,
  createAccessToken,
  issueIdToken,
  validateAccount,
} from 'oidc-provider/lib/helpers/grant_common.js';
import * as grantHelpers from 'oidc-provider/lib/helpers/grants.js';
import resolveResource from 'oidc-provider/lib/helpers/resolve_resource.js';
import presence from 'oidc-provider/lib/helpers/validate_presence.js';
import instance from 'oidc-provider/lib/helpers/weak_cache.js';
import { clientSecretAccepted, type PreviousClientSecret } from '../clients/index.ts';
import type { Clock } from '../clock.ts';

export const internals = {
  difference,
  certificateThumbprint,
  checkAttestBinding,
  boolean,
  resourceServer,
  pluralize: formatters.pluralize as (word: string, count: number) => string,
  applyDpopBinding,
  applyMtlsBinding,
  checkAccountMismatch,
  createAccessToken,
  issueIdToken,
  validateAccount,
  resolveResource,
  presence,
  instance,
};

/** Grant helpers bound to a provider, as oidc-provider binds them for its own grant handlers. */
export function boundGrantHelpers(provider: Provider): Record<string, (...args: unknown[]) => unknown> {
  return Object.fromEntries(
    Object.entries(grantHelpers as Record<string, (...args: unknown[]) => unknown>).map(([name, helper]) => [
      name,
      helper.bind(undefined, provider),
    ]),
  );
}

/**
 * Client secrets are stored as SHA-256 digests (clients/client-secret.ts), so the comparison
 * oidc-provider makes against the stored metadata must hash the presented secret first; during a
 * rotation's overlap the previous secret (extra metadata `previous_client_secrets`) is accepted too.
 */
export function compareClientSecretsAsDigests(provider: Provider, clock: Clock): void {
  const prototype = (provider.Client as unknown as { prototype: Record<string, unknown> }).prototype;
  prototype.compareClientSecret = function compareClientSecret(
    // Extra metadata keeps its snake_case name on the client instance.
    this: { clientSecret?: string; previous_client_secrets?: PreviousClientSecret[] },
    actual: string,
  ) {
    const nowSeconds = Math.floor(clock.now().getTime() / 1000);
    return clientSecretAccepted({ current: this.clientSecret, previous: this.previous_client_secrets }, actual, nowSeconds);
  };
}
