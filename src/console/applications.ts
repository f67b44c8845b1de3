/**
 * Console pages for applications (clients) and APIs. The wizard asks what kind of application it
 * is and sets what follows from that — grant types, how it authenticates, PKCE — so the operator
 * does not have to know OAuth to register a safe client. A secret is shown once, on the page that
 * answers the create (or rotate) request, and never again.
 */
import type { Context, Middleware } from 'koa';
import { AdminProblem, adminCall, adminGet, type ConsoleDeps, enc, field, listField, problemText, redirectDone, renderPage } from './context.ts';

/** Application kinds and the client settings each implies (PKCE is required of every code flow). */
export const APP_KINDS = {
  spa: { type: 'public', grantTypes: ['authorization_code', 'refresh_token'], redirects: true, scopes: ['openid', 'email', 'profile'] },
  web: { type: 'confidential', grantTypes: ['authorization_code', 'refresh_token'], redirects: true, scopes: ['openid', 'email', 'profile', 'offline_access'] },
  service: { type: 'confidential', grantTypes: ['client_credentials'], redirects: false, scopes: [] },
  native: { type: 'public', grantTypes: ['authorization_code', 'refresh_token'], redirects: true, scopes: ['openid', 'email', 'profile', 'offline_access'] },
} as const;
type Kind = keyof typeof APP_KINDS;
const isKind = (value: unknown): value is Kind => typeof value === 'string' && value in APP_KINDS;

interface Client {
  clientId: string;
  name: string;
  type: string;
  grantTypes: string[];
  redirectUris: string[];
  scopes: string[];
  resources: string[];
  tokenEndpointAuthMethod: string;
  previousSecretExpiresAt: number | null;
}
interface Api {
  identifier: string;
  name: string;
  scopes: Array<{ name: string; description: string }>;
  claims: string[];
  signingAlg: string;
  accessTokenTtl: number | null;
}
type Page<T> = { items: T[]; nextCursor: string | null };

const allApis = (deps: ConsoleDeps, ctx: Context) => adminGet<Page<Api>>(deps, ctx, '/apis', { limit: '200' });

export function listClients(deps: ConsoleDeps): Middleware {
  return async (ctx) => {
    const clients = await adminGet<Page<Client>>(deps, ctx, '/clients', { limit: '200' });
    renderPage(deps, ctx, 'clients', { clients: clients.items });
  };
}

/** GET /console/clients/new?kind= — step 1 picks the kind, step 2 is the form for it. */
export function newClientForm(deps: ConsoleDeps): Middleware {
  return async (ctx) => {
    const kind = isKind(ctx.query.kind) ? ctx.query.kind : undefined;
    renderPage(deps, ctx, 'clients-new', { kind, settings: kind ? APP_KINDS[kind] : undefined, apis: (await allApis(deps, ctx)).items, form: {} });
  };
}

/** POST /console/clients */
export function createClient(deps: ConsoleDeps): Middleware {
  return async (ctx) => {
    const body = ctx.request.body as Record<string, unknown>;
    const kind = isKind(body.kind) ? body.kind : 'web';
    const settings = APP_KINDS[kind];
    const apiScopes = listField(body.scopes);
    const resource = field(body, 'resource');
    const redirectUris = settings.redirects ? listField(body.redirect_uris) : [];
    const request = {
      name: field(body, 'name'),
      type: settings.type,
      grantTypes: [...settings.grantTypes],
      redirectUris,
      postLogoutRedirectUris: settings.redirects ? listField(body.post_logout_redirect_uris) : [],
      scopes: [...settings.scopes, ...apiScopes],
      resources: resource ? [resource] : [],
      ...(kind === 'spa' ? { allowedCorsOrigins: [...new Set(redirectUris.map(originOf).filter((o): o is string => Boolean(o)))] } : {}),
    };
    const response = await adminCall(deps, ctx, { method: 'POST', path: '/clients', body: request });
    if (response.status !== 201) {
      return renderPage(
        deps,
        ctx,
        'clients-new',
        { kind, settings, apis: (await allApis(deps, ctx)).items, form: { name: request.name, redirect_uris: redirectUris.join('\n'), resource }, error: problemText(response) },
        response.status,
      );
    }
    const created = response.body as { client: Client; clientSecret?: string };
    renderPage(deps, ctx, 'clients-secret', { client: created.client, clientSecret: created.clientSecret, kind, issuer: deps.issuer, fresh: true });
  };
}

function originOf(uri: string): string | undefined {
  try {
    const url = new URL(uri);
    return /^https?:$/.test(url.protocol) ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

export function showClient(deps: ConsoleDeps): Middleware {
  return async (ctx) => {
    const response = await adminCall(deps, ctx, { method: 'GET', path: `/clients/${enc(ctx.params.id ?? '')}` });
    if (response.status !== 200) throw new AdminProblem(response);
    renderPage(deps, ctx, 'clients-show', { client: response.body as Client, issuer: deps.issuer });
  };
}

/** POST /console/clients/:id/secret — a new secret, shown once; the old one works for the overlap. */
export function rotateSecret(deps: ConsoleDeps): Middleware {
  return async (ctx) => {
    const id = enc(ctx.params.id ?? '');
    const hours = Number(field(ctx.request.body, 'overlap_hours') || '24');
    const overlapSeconds = Number.isFinite(hours) ? Math.max(0, Math.round(hours * 3600)) : 86_400;
    const response = await adminCall(deps, ctx, { method: 'POST', path: `/clients/${id}/secret`, body: { overlapSeconds } });
    if (response.status !== 200) return renderPage(deps, ctx, 'problem', { message: problemText(response), back: `/console/clients/${id}` }, response.status);
    const client = await adminGet<Client>(deps, ctx, `/clients/${id}`);
    renderPage(deps, ctx, 'clients-secret', { client, clientSecret: (response.body as { clientSecret: string }).clientSecret, issuer: deps.issuer, fresh: false });
  };
}

/** POST /console/clients/:id/redirects — edit the redirect URIs (the admin API validates them). */
export function updateRedirects(deps: ConsoleDeps): Middleware {
  return async (ctx) => {
    const id = enc(ctx.params.id ?? '');
    const current = await adminGet<Client & Record<string, unknown>>(deps, ctx, `/clients/${id}`);
    const { clientId: _id, previousSecretExpiresAt: _p, firstParty, requireMfa, allowedCorsOrigins, accessTokenTtl, refreshTokenTtl, ...rest } = current as Record<string, unknown>;
    const settings = {
      ...pick(rest, ['name', 'type', 'grantTypes', 'postLogoutRedirectUris', 'scopes', 'resources', 'tokenEndpointAuthMethod', 'exactRedirectPort', 'dpopBoundAccessTokens']),
      firstParty,
      requireMfa,
      ...(allowedCorsOrigins ? { allowedCorsOrigins } : {}),
      ...(accessTokenTtl ? { accessTokenTtl } : {}),
      ...(refreshTokenTtl ? { refreshTokenTtl } : {}),
      redirectUris: listField((ctx.request.body as Record<string, unknown>).redirect_uris),
    };
    const response = await adminCall(deps, ctx, { method: 'PUT', path: `/clients/${id}`, body: settings });
    if (response.status !== 200) {
      return renderPage(deps, ctx, 'clients-show', { client: current, issuer: deps.issuer, error: problemText(response) }, response.status);
    }
    redirectDone(ctx, `/console/clients/${id}`, 'saved');
  };
}

const pick = (record: Record<string, unknown>, keys: string[]) => Object.fromEntries(keys.filter((key) => record[key] !== undefined).map((key) => [key, record[key]]));

/** POST /console/clients/:id/delete — the operator types the client id to confirm. */
export function deleteClient(deps: ConsoleDeps): Middleware {
  return async (ctx) => {
    const id = ctx.params.id ?? '';
    if (field(ctx.request.body, 'confirm') !== id) {
      return renderPage(deps, ctx, 'problem', { message: 'console.confirm_mismatch', back: `/console/clients/${enc(id)}` }, 400);
    }
    const response = await adminCall(deps, ctx, { method: 'DELETE', path: `/clients/${enc(id)}` });
    if (response.status !== 204) return renderPage(deps, ctx, 'problem', { message: problemText(response), back: `/console/clients/${enc(id)}` }, response.status);
    redirectDone(ctx, '/console/clients', 'deleted');
  };
}

export function listApis(deps: ConsoleDeps): Middleware {
  return async (ctx) => renderPage(deps, ctx, 'apis', { apis: (await allApis(deps, ctx)).items, form: {} });
}

/** Scopes typed one per line as `name: description`. */
function parseScopes(text: string): Array<{ name: string; description: string }> {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const colon = line.indexOf(':');
      return colon === -1 ? { name: line, description: line } : { name: line.slice(0, colon).trim(), description: line.slice(colon + 1).trim() };
    });
}

export function createApi(deps: ConsoleDeps): Middleware {
  return async (ctx) => {
    const body = ctx.request.body;
    const ttl = field(body, 'ttl');
    const request = {
      identifier: field(body, 'identifier'),
      ...(field(body, 'name') ? { name: field(body, 'name') } : {}),
      scopes: parseScopes(field(body, 'scopes')),
      claims: listField((body as Record<string, unknown>).claims),
      signingAlg: field(body, 'alg') || 'RS256',
      accessTokenTtl: ttl ? Number(ttl) : null,
    };
    const response = await adminCall(deps, ctx, { method: 'POST', path: '/apis', body: request });
    if (response.status !== 201) {
      return renderPage(deps, ctx, 'apis', { apis: (await allApis(deps, ctx)).items, form: { ...request, scopes: field(body, 'scopes') }, error: problemText(response) }, response.status);
    }
    redirectDone(ctx, '/console/apis', 'api_created');
  };
}
