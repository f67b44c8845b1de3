/**
 * A real, separately started OpenID provider for the federation tests: bare oidc-provider 9 with
 * its own RSA key, on its own loopback port, in its own process (started by ./process.ts). Its
 * users (login name → claims, from UPSTREAM_USERS) sign in on a one-field form; consent is given
 * with the sign-in.
 *
 * To prove Gatehouse refuses bad answers, it can be told to misbehave on its token endpoint
 * (POST /__mode {"mode": …}): an ID token for another audience, expired, with a wrong nonce, a
 * broken signature, signed by a key its JWKS does not have, or an OAuth error instead of tokens.
 * Every other answer is oidc-provider's own.
 */
import { createServer } from 'node:http';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT } from 'jose';
import Provider, { type Configuration } from 'oidc-provider';

const port = Number(process.env.UPSTREAM_PORT);
const issuer = `http://127.0.0.1:${port}`;
const users = JSON.parse(process.env.UPSTREAM_USERS ?? '{}') as Record<string, Record<string, unknown>>;
const clients = JSON.parse(process.env.UPSTREAM_CLIENTS ?? '[]') as Configuration['clients'];

type Mode = 'normal' | 'wrong_audience' | 'expired' | 'wrong_nonce' | 'bad_signature' | 'unknown_kid' | 'token_error';
let mode: Mode = 'normal';

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signingJwk = { ...(await exportJWK(privateKey)), kid: 'upstream-key-1', alg: 'RS256', use: 'sig' };
const stranger = (await generateKeyPair('RS256', { extractable: true })).privateKey;

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: [signingJwk as never] },
  cookies: { keys: ['upstream-test-cookie-key'], names: { session: 'up_session', interaction: 'up_interaction', resume: 'up_resume' } },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
  // Like Google, Entra ID or Keycloak: the ID token itself carries the scope's claims.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } },
  pkce: { required: () => true },
  interactions: { url: (_ctx, interaction) => `/login/${interaction.uid}` },
  async findAccount(_ctx, sub) {
    const claims = users[sub];
    if (!claims) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...claims }) };
  },
});

/** Re-signs the ID token of a token response the way the current mode asks. */
async function misbehave(body: Record<string, unknown>): Promise<Record<string, unknown>> {
  if (mode === 'normal' || typeof body.id_token !== 'string') return body;
  const claims = decodeJwt(body.id_token);
  const header = decodeProtectedHeader(body.id_token);
  const now = Math.floor(Date.now() / 1000);
  const sign = (payload: Record<string, unknown>, key = privateKey, kid = String(header.kid)) =>
    new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid }).sign(key);
  if (mode === 'wrong_audience') return { ...body, id_token: await sign({ ...claims, aud: 'someone-else' }) };
  if (mode === 'expired') return { ...body, id_token: await sign({ ...claims, iat: now - 7200, exp: now - 3600 }) };
  if (mode === 'wrong_nonce') return { ...body, id_token: await sign({ ...claims, nonce: 'not-the-nonce-you-sent' }) };
  if (mode === 'unknown_kid') return { ...body, id_token: await sign(claims, stranger, 'a-key-nobody-published') };
  if (mode === 'bad_signature') {
    const [h, p, s] = body.id_token.split('.');
    const flipped = `${s!.slice(0, 10)}${s![10] === 'A' ? 'B' : 'A'}${s!.slice(11)}`;
    return { ...body, id_token: `${h}.${p}.${flipped}` };
  }
  return body;
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/__mode' && ctx.method === 'POST') {
    let raw = '';
    for await (const chunk of ctx.req) raw += chunk;
    mode = (JSON.parse(raw) as { mode: Mode }).mode;
    ctx.status = 204;
    return;
  }
  if (ctx.path === '/token' && mode === 'token_error') {
    ctx.status = 400;
    ctx.body = { error: 'invalid_grant', error_description: 'the upstream refused this code' };
    return;
  }
  await next();
  if (ctx.path === '/token' && ctx.status === 200 && ctx.body && typeof ctx.body === 'object') {
    ctx.body = await misbehave(ctx.body as Record<string, unknown>);
  }
});

const page = (uid: string) => `<!doctype html><html lang="en"><head><title>Upstream sign-in</title></head><body>
<main><h1>Acme sign-in</h1><form method="post" action="/login/${uid}"><label for="login">Username</label>
<input id="login" name="login" autocomplete="username"><button type="submit">Sign in at Acme</button></form></main></body></html>`;

provider.use(async (ctx, next) => {
  const match = /^\/login\/([\w-]+)$/.exec(ctx.path);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (ctx.method === 'GET') {
    ctx.type = 'html';
    ctx.body = page(details.uid);
    return;
  }
  let raw = '';
  for await (const chunk of ctx.req) raw += chunk;
  const login = new URLSearchParams(raw).get('login') ?? '';
  if (!users[login]) {
    ctx.status = 401;
    ctx.type = 'html';
    ctx.body = page(details.uid);
    return;
  }
  const grant = new provider.Grant({ accountId: login, clientId: String(details.params.client_id) });
  grant.addOIDCScope(String(details.params.scope));
  const grantId = await grant.save();
  const amr = Array.isArray(users[login]!.amr) ? (users[login]!.amr as string[]) : ['pwd'];
  const redirectTo = await provider.interactionResult(ctx.req, ctx.res, { login: { accountId: login, amr }, consent: { grantId } }, { mergeWithLastSubmission: false });
  ctx.status = 303;
  ctx.redirect(redirectTo);
});

const server = createServer(provider.callback());
server.listen(port, '127.0.0.1', () => process.stdout.write(`upstream listening on ${issuer}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
