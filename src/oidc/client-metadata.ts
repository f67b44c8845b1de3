import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import { ValidationFailed } from '../errors.ts';
import type { ClientMetadata } from '../storage/queries/clients.ts';

/**
 * oidc-provider's own client-metadata validation (its schema, defaults and consistency checks),
 * run by ClientService before a client is stored: what it would refuse at first use is refused
 * at creation. Its errors become ValidationFailed (redirect URI problems named as such).
 */
export function clientMetadataValidator(current: () => Provider | undefined) {
  return async (metadata: ClientMetadata): Promise<void> => {
    const provider = current();
    if (!provider) return;
    try {
      await provider.Client.validate(metadata as never);
    } catch (error) {
      if (error instanceof errors.InvalidRedirectUri) throw new ValidationFailed([`redirect_uris: ${error.error_description ?? error.message}`]);
      if (error instanceof errors.InvalidClientMetadata) throw new ValidationFailed([error.error_description ?? error.message]);
      throw error;
    }
  };
}
