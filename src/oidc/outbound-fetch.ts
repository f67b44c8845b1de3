/**
 * The fetch oidc-provider uses for outbound calls (back-channel logout, client jwks_uri, ...).
 *
 * - oidc-provider refuses special-use addresses (loopback, RFC 1918, ...) against SSRF. Staff tools
 *   behind an SSO often listen on exactly such addresses, so `allowPrivateNetworks` lifts the guard
 *   — an operator decision, off by default.
 * - Each call gets bounded retries (network errors and 5xx) inside one overall deadline, so a
 *   receiver that is briefly down still gets its logout token, and one that is gone cannot stall
 *   a sign-out for long.
 */
export function createOutboundFetch(options: { allowPrivateNetworks: boolean; attempts: number; deadlineMs: number; fetch?: typeof fetch }) {
  const doFetch = options.fetch ?? globalThis.fetch;
  return async (url: string | URL, init: RequestInit & { dispatcher?: unknown }): Promise<Response> => {
    const { signal: _single, dispatcher, ...rest } = init;
    const request = options.allowPrivateNetworks ? rest : { ...rest, dispatcher };
    const deadline = Date.now() + options.deadlineMs;
    let lastError: unknown;
    for (let attempt = 1; attempt <= options.attempts; attempt += 1) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      try {
        const response = await doFetch(url, { ...request, signal: AbortSignal.timeout(remaining) } as RequestInit);
        if (response.status < 500 || attempt === options.attempts) return response;
        lastError = new Error(`HTTP ${response.status}`);
      } catch (error) {
        lastError = error;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(200 * 2 ** (attempt - 1), Math.max(0, deadline - Date.now()))));
    }
    throw lastError instanceof Error ? lastError : new Error('outbound request failed');
  };
}
