import { bodyParser } from '@koa/bodyparser';
import type { KoaContextWithOIDC } from 'oidc-provider';

type Next = () => Promise<void>;

/**
 * OIDC Core §3.1.2.1: the authorization endpoint MUST accept POST with form serialization.
 *
 * oidc-provider 9 serves POST only with `enableHttpPostMethods`, which demands `SameSite=None` on
 * its session cookie, and for a reason: an app's cross-site form POST carries no `SameSite=Lax`
 * cookie, so the user would look signed out (no single sign-on, `prompt=none` fails). Gatehouse
 * keeps `Lax` — a cross-site POST never carries the session, which is what protects every other
 * POST endpoint from cross-site request forgery — and answers `POST /auth` with `303 See Other` to
 * the same authorization request as a GET. The browser follows with a top-level GET, which carries
 * `Lax` cookies, and oidc-provider validates it exactly as any GET request: nothing is decided, set
 * or stored on the POST itself, so it grants an attacker's page nothing a link to `/auth` does not.
 *
 * Parameters keep their order and duplicates (oidc-provider refuses duplicates as for a GET). A
 * body that is not `application/x-www-form-urlencoded` answers 415; one over the limit, 413.
 *
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2: the OP MUST support GET and POST
 * at the end-session endpoint) is answered the same way, for the same reason: the confirmation
 * page's own form then carries the session cookie, and `id_token_hint` is judged as on a GET.
 */
export function authorizationRequestsByPost(deps: {
  paths: readonly string[];
  bodyLimitBytes: number;
  /** Renders a refusal as the error page of the one error map (provider.ts renderErrorPage). */
  refuse: (ctx: KoaContextWithOIDC, status: number, description: string) => void;
}) {
  const parseForm = bodyParser({ enableTypes: ['form'], formLimit: `${deps.bodyLimitBytes}b`, encoding: 'utf-8' });
  return async function authorizationPost(ctx: KoaContextWithOIDC, next: Next): Promise<void> {
    if (ctx.method !== 'POST' || !deps.paths.includes(ctx.path)) return next();
    if (!ctx.is('application/x-www-form-urlencoded')) {
      return deps.refuse(ctx, 415, 'requests by POST here use application/x-www-form-urlencoded (OIDC Core 3.1.2.1, RP-Initiated Logout §2)');
    }
    try {
      await parseForm(ctx as never, async () => {});
    } catch (error) {
      const tooLarge = (error as { status?: number }).status === 413;
      return deps.refuse(ctx, tooLarge ? 413 : 400, tooLarge ? 'the request is too large' : 'the form could not be read');
    }
    const raw = (ctx.request as { rawBody?: string }).rawBody ?? '';
    const query = new URLSearchParams(raw).toString();
    ctx.status = 303;
    ctx.set('Cache-Control', 'no-store');
    ctx.redirect(query ? `${ctx.path}?${query}` : ctx.path);
  };
}
