/**
 * A store that could not be reached when opening storage: which one, where (never the password)
 * and why, in one line an operator can act on.
 */
export class StoreUnreachable extends Error {
  override name = 'StoreUnreachable';
  readonly store: 'Postgres' | 'Redis';
  constructor(store: 'Postgres' | 'Redis', url: string, reason: string, options?: ErrorOptions) {
    super(`cannot reach ${store} at ${whereOf(url)}: ${firstLine(reason)}`, options);
    this.store = store;
  }
}

export const firstLine = (text: string) => text.split('\n')[0]?.trim() ?? '';

/** host:port/path of a connection URL, without credentials or query. */
function whereOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return 'the configured URL';
  }
}
