/**
 * Console pages for upstream identity providers (federation: "Continue with Acme"): list, add
 * (OpenID Connect by issuer, plain OAuth 2 by endpoints, or a preset), edit, enable or disable,
 * delete with a typed confirmation. All through the admin API's /idps records; the client secret is
 * write-only (sealed at rest; a blank field on the edit form keeps the stored one).
 */
import type { Context } from 'koa';
import { z } from 'zod';
import { createProviderSchema } from '../federation/index.ts';
import { type Route, route } from '../http/route.ts';
import type { IdentityProvider, Page } from './admin-shapes.ts';
import { adminCall, adminGet, adminWrite, type ConsoleDeps, confirmForm, enc, formCheckbox, formList, formText, problemText, redirectDone, renderPage } from './context.ts';

// The choices the admin API's own input schema offers.
const PRESET_NAMES = createProviderSchema.shape.preset.unwrap().options;
const CLIENT_AUTH = createProviderSchema.shape.clientAuth.unwrap().options;

const nameParams = z.object({ name: z.string().min(1).max(40) });
/** The fields both forms share; the admin API judges them (URLs, domains, JIT needs domains …). */
const idpForm = z.object({
  displayName: formText(100),
  issuer: formText(500),
  authorizationEndpoint: formText(500),
  tokenEndpoint: formText(500),
  userinfoEndpoint: formText(500),
  clientId: formText(500),
  clientSecret: formText(4096),
  clientAuth: z.enum(CLIENT_AUTH).optional(),
  scopes: formList,
  domains: formList,
  jit: formCheckbox,
  trustedForDomains: formCheckbox,
  trustUpstreamMfa: formCheckbox,
  emailClaim: formText(100),
  emailVerifiedClaim: formText(100),
  nameClaim: formText(100),
  groupsClaim: formText(100),
  groupRoles: formText(20_000),
});
const newIdpForm = idpForm.extend({ name: formText(40), preset: z.enum(['', ...PRESET_NAMES]).optional(), enabled: formCheckbox });
type IdpForm = z.output<typeof idpForm>;

/** Upstream group → roles, typed one group per line as `group = role role` (split at the last `=`). */
function parseGroupRoles(text: string): Record<string, string[]> {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return Object.fromEntries(
    lines.map((line) => {
      const at = line.lastIndexOf('=');
      return at === -1 ? [line, []] : [line.slice(0, at).trim(), line.slice(at + 1).split(/[\s,]+/).filter(Boolean)];
    }),
  );
}
const groupRolesText = (groupRoles: Record<string, string[]>) =>
  Object.entries(groupRoles)
    .map(([group, roles]) => `${group} = ${roles.join(' ')}`)
    .join('\n');

/** The form as an admin request body: blank text is "not given" (kept on edit, preset or default on create). */
function settingsOf(form: IdpForm) {
  const given = (value: string) => (value ? value : undefined);
  const settings = {
    displayName: given(form.displayName),
    issuer: given(form.issuer),
    authorizationEndpoint: given(form.authorizationEndpoint),
    tokenEndpoint: given(form.tokenEndpoint),
    userinfoEndpoint: given(form.userinfoEndpoint),
    clientId: given(form.clientId),
    clientSecret: given(form.clientSecret),
    clientAuth: form.clientAuth,
    ...(form.scopes.length ? { scopes: form.scopes } : {}),
    domains: form.domains,
    jit: form.jit,
    trustedForDomains: form.trustedForDomains,
    trustUpstreamMfa: form.trustUpstreamMfa,
    emailClaim: given(form.emailClaim),
    emailVerifiedClaim: given(form.emailVerifiedClaim),
    nameClaim: given(form.nameClaim),
    groupsClaim: given(form.groupsClaim),
    groupRoles: parseGroupRoles(form.groupRoles),
  };
  return Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined));
}

/** What the form shows again after a refusal: never the secret. */
const refill = (form: IdpForm & { name?: string }) => ({ ...form, clientSecret: '', scopes: form.scopes.join(' '), domains: form.domains.join(' ') });

const allIdps = (deps: ConsoleDeps, ctx: Context) => adminGet<Page<IdentityProvider>>(deps, ctx, '/idps', { limit: '200' });
const listPage = async (deps: ConsoleDeps, ctx: Context, data: Record<string, unknown>, status = 200) =>
  renderPage(deps, ctx, 'idps', { idps: (await allIdps(deps, ctx)).items, presets: PRESET_NAMES, clientAuths: CLIENT_AUTH, form: { enabled: true }, ...data }, status);

export function idpRoutes(deps: ConsoleDeps): Route[] {
  const showPage = (ctx: Context, idp: IdentityProvider, data: Record<string, unknown> = {}, status = 200) =>
    renderPage(
      deps,
      ctx,
      'idps-show',
      {
        idp,
        clientAuths: CLIENT_AUTH,
        form: {
          ...idp,
          clientSecret: '',
          scopes: idp.scopes.join(' '),
          domains: idp.domains.join(' '),
          emailClaim: idp.claimMapping.email,
          emailVerifiedClaim: idp.claimMapping.emailVerified,
          nameClaim: idp.claimMapping.name,
          groupsClaim: idp.claimMapping.groups,
          groupRoles: groupRolesText(idp.groupRoles),
        },
        ...data,
      },
      status,
    );
  /** Enable or disable: the one setting that has its own button. */
  const toggle = (enabled: boolean) =>
    route({
      method: 'post',
      path: `/idps/:name/${enabled ? 'enable' : 'disable'}`,
      params: nameParams,
      handle: (ctx, { params }) =>
        adminWrite(
          deps,
          ctx,
          { method: 'PATCH', path: `/idps/${enc(params.name)}`, body: { enabled } },
          { expect: 200, back: `/console/idps/${enc(params.name)}`, done: [`/console/idps/${enc(params.name)}`, enabled ? 'idp_enabled' : 'idp_disabled'] },
        ),
    });
  return [
    route({ method: 'get', path: '/idps', handle: (ctx) => listPage(deps, ctx, {}) }),
    route({
      method: 'post',
      path: '/idps',
      body: newIdpForm,
      async handle(ctx, { body }) {
        const request = { name: body.name, ...(body.preset ? { preset: body.preset } : {}), ...settingsOf(body), enabled: body.enabled };
        const response = await adminCall(deps, ctx, { method: 'POST', path: '/idps', body: request });
        if (response.status !== 201) return listPage(deps, ctx, { form: { ...refill(body), name: body.name, preset: body.preset, enabled: body.enabled }, error: problemText(response) }, response.status);
        redirectDone(ctx, `/console/idps/${enc(body.name)}`, 'idp_created');
      },
    }),
    route({
      method: 'get',
      path: '/idps/:name',
      params: nameParams,
      handle: async (ctx, { params }) => showPage(ctx, await adminGet<IdentityProvider>(deps, ctx, `/idps/${enc(params.name)}`)),
    }),
    route({
      method: 'post',
      path: '/idps/:name',
      params: nameParams,
      body: idpForm,
      async handle(ctx, { params, body }) {
        const path = `/idps/${enc(params.name)}`;
        const response = await adminCall(deps, ctx, { method: 'PATCH', path, body: settingsOf(body) });
        if (response.status !== 200) return showPage(ctx, await adminGet<IdentityProvider>(deps, ctx, path), { form: refill(body), error: problemText(response) }, response.status);
        redirectDone(ctx, `/console${path}`, 'saved');
      },
    }),
    toggle(true),
    toggle(false),
    // Deleting unlinks every account from it: the operator types its name to confirm.
    route({
      method: 'post',
      path: '/idps/:name/delete',
      params: nameParams,
      body: confirmForm,
      handle: (ctx, { params: { name }, body }) =>
        adminWrite(
          deps,
          ctx,
          { method: 'DELETE', path: `/idps/${enc(name)}` },
          { expect: 204, back: `/console/idps/${enc(name)}`, done: ['/console/idps', 'idp_deleted'], confirm: [body.confirm, name] },
        ),
    }),
  ];
}
