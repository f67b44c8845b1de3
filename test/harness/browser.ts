/**
 * A minimal browser for driving Gatehouse's real pages over HTTP: a cookie jar, manual
 * redirects, and form submission (including the hidden CSRF field) as a user agent would do.
 */
export class Browser {
  readonly #cookies = new Map<string, { value: string; path: string }>();
  readonly #userAgent: string;
  readonly #headers: Record<string, string>;

  /** `headers` go with every request (e.g. X-Forwarded-For to appear from another client IP) unless the request sets its own. */
  constructor(userAgent = 'gatehouse-test-browser', headers: Record<string, string> = {}) {
    this.#userAgent = userAgent;
    this.#headers = headers;
  }

  cookieHeader(url: URL): string {
    return [...this.#cookies.entries()]
      .filter(([, cookie]) => url.pathname.startsWith(cookie.path))
      .map(([name, cookie]) => `${name}=${cookie.value}`)
      .join('; ');
  }

  #store(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attributes] = header.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const path = attributes.map((a) => a.trim()).find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
      const expired = attributes.some((a) => /expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, { value, path });
    }
  }

  /** One request, no redirect following. */
  async request(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const headers = new Headers(init.headers);
    for (const [name, value] of Object.entries(this.#headers)) if (!headers.has(name)) headers.set(name, value);
    const cookie = this.cookieHeader(target);
    if (cookie) headers.set('cookie', cookie);
    headers.set('user-agent', this.#userAgent);
    const response = await fetch(target, { ...init, headers, redirect: 'manual' });
    this.#store(response);
    return response;
  }

  /**
   * Follows redirects while they stay on `origin`; returns the last response on the origin, or
   * the first redirect Location that leaves it (the client's redirect_uri).
   */
  async follow(url: string | URL, origin: string, init: RequestInit = {}): Promise<{ response?: Response; leftTo?: URL }> {
    let response = await this.request(url, init);
    let current = new URL(url);
    for (let hops = 0; hops < 10; hops += 1) {
      const location = response.headers.get('location');
      if (!location || response.status < 300 || response.status >= 400) return { response };
      current = new URL(location, current);
      if (current.origin !== origin) return { leftTo: current };
      response = await this.request(current);
    }
    throw new Error('too many redirects');
  }

  async submitForm(
    page: { url: string | URL; html: string },
    action: string | RegExp,
    fields: Record<string, string>,
    origin: string,
  ) {
    const forms = [...page.html.matchAll(/<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)];
    const form = forms.find(([, formAction]) =>
      typeof action === 'string' ? formAction === action : action.test(formAction ?? ''),
    );
    if (!form) throw new Error(`no form with action ${action} on the page`);
    const hidden = Object.fromEntries(
      [...(form[2] ?? '').matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    const body = new URLSearchParams({ ...hidden, ...fields });
    return this.follow(new URL(form[1]!.replaceAll('&amp;', '&'), page.url), origin, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
  }
}
