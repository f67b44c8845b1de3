import type { Browser } from './browser.ts';
import type { TestServer } from './server.ts';

/** An authorization request that stops at the sign-in page (the code is never redeemed). */
function signInUrl(server: TestServer, clientId: string, redirectUri: string): URL {
  const auth = new URL(`${server.url}/auth`);
  auth.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: redirectUri,
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  }).toString();
  return auth;
}

/**
 * Opens one sign-in page (one interaction) and returns a function that submits the login form
 * from any client IP (X-Forwarded-For; the server must trust the proxy) with the page's cookies
 * and CSRF token, as a browser behind that IP would.
 */
export async function openSignInPage(server: TestServer, clientId: string, redirectUri = 'http://127.0.0.1:9/callback') {
  const jar = new Map<string, string>();
  const remember = (response: Response) => {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const eq = pair!.indexOf('=');
      jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
  };
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const auth = signInUrl(server, clientId, redirectUri);
  const first = await fetch(auth, { redirect: 'manual' });
  remember(first);
  const pageUrl = new URL(first.headers.get('location')!, server.url);
  const page = await fetch(pageUrl, { headers: { cookie: cookieHeader() } });
  remember(page);
  const html = await page.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  return async (email: string, password: string, ip: string) => {
    const response = await fetch(`${pageUrl.href}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader(), 'x-forwarded-for': ip },
      body: new URLSearchParams({ csrf, email, password }),
    });
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.text() };
  };
}

/**
 * Opens a sign-in page (a new interaction) in `browser` — which keeps its cookies, the known-device
 * cookie included — and returns a function that submits the login form of that same interaction.
 */
export async function openSignIn(server: TestServer, browser: Browser, clientId: string, redirectUri = 'http://127.0.0.1:9/callback') {
  const auth = signInUrl(server, clientId, redirectUri);
  const page = await browser.follow(auth, server.url);
  const html = await page.response!.text();
  const uid = /\/interaction\/([^/"]+)\/login/.exec(html)?.[1];
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!uid || !csrf) throw new Error(`no sign-in page: ${html.slice(0, 200)}`);
  return async (email: string, password: string) => {
    const response = await browser.request(`${server.url}/interaction/${uid}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, email, password }),
    });
    return { status: response.status, retryAfter: Number(response.headers.get('retry-after') ?? 0), location: response.headers.get('location'), body: await response.text() };
  };
}
