/**
 * Console pages for applications (clients) and APIs. The wizard asks what kind of application it
 * is and sets what follows from that — grant types, how it authenticates, PKCE — so the operator
 * does not have to know OAuth to register a safe client. A secret is shown once, on the page that
 * answers the create (or rotate) request, and never again.
 */
import type { Context } from 'koa';
import { z } from 'zod';
import { clientSettingsSchema, DEVICE_CODE_GRANT } from '../clients/index.ts';
import { type Route, route } from '../http/route.ts';
import type { Api, Client, ClientWithSecret, Page } from './admin-shapes.ts';
import { adminCall, adminGet, adminWrite, type ConsoleDeps, confirmForm, enc, formList, formText, problemText, redirectDone, renderPage } from './context.ts';

/** Application kinds and the client settings each implies (PKCE is required of every code flow). */
export const APP_KINDS = {
  spa: { type: 'public', grantTypes: ['authorization_code', 'refresh_token'], redirects: true, scopes: ['openid', 'email', 'profile'] },
  web: { type: 'confidential', grantTypes: ['authorization_code', 'refresh_token'], redirects: true, scopes: ['openid', 'email', 'profile', 'offline_access'] },
  service: { type: 'confidential', grantTypes: ['client_credentials'], redirects: false, scopes: [] },
  native: { type: 'public', grantTypes: ['authorization_code', 'refresh_token'], redirects: true, scopes: ['openid', 'email', 'profile', 'offline_access'] },
  // RFC 8628: a CLI or a TV shows a code the person types on /device; no secret, no redirect.
  device: { type: 'public', grantTypes: [DEVICE_CODE_GRANT, 'refresh_token'], redirects: false, scopes: ['openid', 'email', 'profile', 'offline_access'] },
} as const;
type Kind = keyof typeof APP_KINDS;
const KIND_NAMES = Object.keys(APP_KINDS) as [Kind, ...Kind[]];

const clientParams = z.object({ id: z.string().min(1).max(200) });
const apiParams = z.object({ identifier: z.string().min(1).max(500) });
const newClientQuery = z.object({ kind: z.enum(KIND_NAMES).optional().catch(undefined) });
const newClientForm = z.object({
  kind: z.enum(KIND_NAMES),
  name: formText(200),
  redirect_uris: formList,
  post_logout_redirect_uris: formList,
  scopes: formList,
  resource: formText(500),
});
const rotateForm = z.object({ overlap_hours: formText(10) });
const redirectsForm = z.object({ redirect_uris: formList });
/** Register and edit an API: scopes are typed one per line as `name: description`. */
const apiForm = z.object({
  name: formText(200),
  scopes: formText(20_000),
  claims: formList,
  alg: formText(10),
  ttl: formText(12),
});
const newApiForm = apiForm.extend({ identifier: formText(500) });
type ApiForm = z.output<typeof apiForm>;

const allApis = (deps: ConsoleDeps, ctx: Context) => adminGet<Page<Api>>(deps, ctx, '/apis', { limit: '200' });

function originOf(uri: string): string | undefined {
  try {
    const url = new URL(uri);
    return /^https?:$/.test(url.protocol) ? url.origin : undefined;
  } catch {
    return undefined;
  }
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
const scopesText = (api: Api) => api.scopes.map((scope) => `${scope.name}: ${scope.description}`).join('\n');

/** The API settings a form sets (the same fields on create and on edit). */
const apiSettings = (form: ApiForm) => ({
  ...(form.name ? { name: form.name } : {}),
  scopes: parseScopes(form.scopes),
  claims: form.claims,
  signingAlg: form.alg || 'RS256',
  accessTokenTtl: form.ttl ? Number(form.ttl) : null,
});

/**
 * The client's settings as the admin API's replace (PUT) body takes them: every setting its schema
 * knows, read from the client as it is, so a setting added later is kept, never dropped.
 */
function settingsOf(current: Client): Record<string, unknown> {
  return Object.fromEntries(Object.entries(current).filter(([name, value]) => value !== null && value !== undefined && name in clientSettingsSchema.shape));
}

export function applicationRoutes(deps: ConsoleDeps): Route[] {
  return [
    route({
      method: 'get',
      path: '/clients',
      handle: async (ctx) => renderPage(deps, ctx, 'clients', { clients: (await adminGet<Page<Client>>(deps, ctx, '/clients', { limit: '200' })).items }),
    }),
    // Step 1 picks the kind, step 2 is the form for it.
    route({
      method: 'get',
      path: '/clients/new',
      query: newClientQuery,
      handle: async (ctx, { query: { kind } }) =>
        renderPage(deps, ctx, 'clients-new', { kinds: KIND_NAMES, kind, settings: kind ? APP_KINDS[kind] : undefined, apis: (await allApis(deps, ctx)).items, form: {} }),
    }),
    route({
      method: 'post',
      path: '/clients',
      body: newClientForm,
      async handle(ctx, { body }) {
        const settings = APP_KINDS[body.kind];
        const redirectUris = settings.redirects ? body.redirect_uris : [];
        const request = {
          name: body.name,
          type: settings.type,
          grantTypes: [...settings.grantTypes],
          redirectUris,
          postLogoutRedirectUris: settings.redirects ? body.post_logout_redirect_uris : [],
          scopes: [...settings.scopes, ...body.scopes],
          resources: body.resource ? [body.resource] : [],
          ...(body.kind === 'spa' ? { allowedCorsOrigins: [...new Set(redirectUris.map(originOf).filter((o): o is string => Boolean(o)))] } : {}),
        };
        const response = await adminCall(deps, ctx, { method: 'POST', path: '/clients', body: request });
        if (response.status !== 201) {
          const form = { name: request.name, redirect_uris: redirectUris.join('\n'), resource: body.resource };
          const apis = (await allApis(deps, ctx)).items;
          return renderPage(deps, ctx, 'clients-new', { kinds: KIND_NAMES, kind: body.kind, settings, apis, form, error: problemText(response) }, response.status);
        }
        const created = response.body as ClientWithSecret;
        renderPage(deps, ctx, 'clients-secret', { client: created.client, clientSecret: created.clientSecret, kind: body.kind, issuer: deps.issuer, fresh: true });
      },
    }),
    route({
      method: 'get',
      path: '/clients/:id',
      params: clientParams,
      handle: async (ctx, { params }) => renderPage(deps, ctx, 'clients-show', { client: await adminGet<Client>(deps, ctx, `/clients/${enc(params.id)}`), issuer: deps.issuer }),
    }),
    // A new secret, shown once; the old one works for the overlap.
    route({
      method: 'post',
      path: '/clients/:id/secret',
      params: clientParams,
      body: rotateForm,
      async handle(ctx, { params, body }) {
        const id = enc(params.id);
        const hours = Number(body.overlap_hours || '24');
        const overlapSeconds = Number.isFinite(hours) ? Math.max(0, Math.round(hours * 3600)) : 86_400;
        const response = await adminCall(deps, ctx, { method: 'POST', path: `/clients/${id}/secret`, body: { overlapSeconds } });
        if (response.status !== 200) return renderPage(deps, ctx, 'problem', { message: problemText(response), back: `/console/clients/${id}` }, response.status);
        const client = await adminGet<Client>(deps, ctx, `/clients/${id}`);
        renderPage(deps, ctx, 'clients-secret', { client, clientSecret: (response.body as { clientSecret: string }).clientSecret, issuer: deps.issuer, fresh: false });
      },
    }),
    // Edit the redirect URIs (the admin API validates them).
    route({
      method: 'post',
      path: '/clients/:id/redirects',
      params: clientParams,
      body: redirectsForm,
      async handle(ctx, { params, body }) {
        const id = enc(params.id);
        const current = await adminGet<Client>(deps, ctx, `/clients/${id}`);
        const response = await adminCall(deps, ctx, { method: 'PUT', path: `/clients/${id}`, body: { ...settingsOf(current), redirectUris: body.redirect_uris } });
        if (response.status !== 200) return renderPage(deps, ctx, 'clients-show', { client: current, issuer: deps.issuer, error: problemText(response) }, response.status);
        redirectDone(ctx, `/console/clients/${id}`, 'saved');
      },
    }),
    // The operator types the client id to confirm.
    route({
      method: 'post',
      path: '/clients/:id/delete',
      params: clientParams,
      body: confirmForm,
      handle: (ctx, { params: { id }, body }) =>
        adminWrite(
          deps,
          ctx,
          { method: 'DELETE', path: `/clients/${enc(id)}` },
          { expect: 204, back: `/console/clients/${enc(id)}`, done: ['/console/clients', 'deleted'], confirm: [body.confirm, id] },
        ),
    }),
    route({
      method: 'get',
      path: '/apis',
      handle: async (ctx) => renderPage(deps, ctx, 'apis', { apis: (await allApis(deps, ctx)).items, form: {} }),
    }),
    route({
      method: 'post',
      path: '/apis',
      body: newApiForm,
      async handle(ctx, { body }) {
        const request = { identifier: body.identifier, ...apiSettings(body) };
        const response = await adminCall(deps, ctx, { method: 'POST', path: '/apis', body: request });
        if (response.status !== 201) {
          return renderPage(deps, ctx, 'apis', { apis: (await allApis(deps, ctx)).items, form: body, error: problemText(response) }, response.status);
        }
        redirectDone(ctx, '/console/apis', 'api_created');
      },
    }),
    // One API: edit its name, scopes (with descriptions), claims, signing algorithm and token lifetime.
    route({
      method: 'get',
      path: '/apis/:identifier',
      params: apiParams,
      async handle(ctx, { params }) {
        const api = await adminGet<Api>(deps, ctx, `/apis/${enc(params.identifier)}`);
        renderPage(deps, ctx, 'apis-show', { api, form: { name: api.name, scopes: scopesText(api), claims: api.claims, alg: api.signingAlg, ttl: api.accessTokenTtl ?? '' } });
      },
    }),
    route({
      method: 'post',
      path: '/apis/:identifier',
      params: apiParams,
      body: apiForm,
      async handle(ctx, { params, body }) {
        const path = `/apis/${enc(params.identifier)}`;
        const response = await adminCall(deps, ctx, { method: 'PATCH', path, body: apiSettings(body) });
        if (response.status !== 200) {
          const api = await adminGet<Api>(deps, ctx, path);
          return renderPage(deps, ctx, 'apis-show', { api, form: body, error: problemText(response) }, response.status);
        }
        redirectDone(ctx, `/console${path}`, 'saved');
      },
    }),
  ];
}
