export type ClientLike = { metadata(): Record<string, unknown> };

/**
 * `metadata()` rebuilds the whole snake_case record on every call (a few dozen keys); oidc-provider
 * reuses one Client instance per distinct metadata, so the record is read once per instance.
 * Callbacks on the token endpoint's hot path read client metadata through this.
 */
const metadataCache = new WeakMap<ClientLike, Record<string, unknown>>();

export function metadataOf(client: ClientLike): Record<string, unknown> {
  let metadata = metadataCache.get(client);
  if (!metadata) {
    metadata = client.metadata();
    metadataCache.set(client, metadata);
  }
  return metadata;
}
