/**
 * Drives an authorization code flow through every page it meets — sign-in, TOTP enrolment,
 * recovery codes, the second-factor prompt, consent — and exchanges the code.
 */
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { generate } from 'otplib/functional';
import type { Browser } from './browser.ts';
import { authorizationRequestUrl, REDIRECT_URI, tokenRequest } from './fixtures.ts';
import type { TestServer } from './server.ts';

/** A code for the next time step: the current one may already be spent (each step is accepted once). */
export const codeFor = (secret: string, stepsAhead = 0) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 * stepsAhead });

export interface Seen {
  login: boolean;
  mfa: boolean;
  enrol: boolean;
  recoveryCodes: string[];
  secret?: string;
}

export async function authorizeThroughMfa(
  server: TestServer,
  client: { clientId: string; clientSecret: string },
  browser: Browser,
  user: { email: string; password: string },
  second: (seen: Seen) => Promise<string>,
  options: { extra?: Record<string, string>; tokenParams?: Record<string, string> } = {},
) {
  const extra = options.extra ?? {};
  const verifier = oidc.randomPKCECodeVerifier();
  const url = await authorizationRequestUrl(server.url, client.clientId, verifier, { scope: 'openid', prompt: undefined, ...extra });
  const seen: Seen = { login: false, mfa: false, enrol: false, recoveryCodes: [] };
  let step = await browser.follow(url, server.url);
  for (let i = 0; i < 8 && !step.leftTo; i += 1) {
    const html = await step.response!.text();
    const page = { url: server.url, html };
    if (html.includes('/login"')) {
      seen.login = true;
      step = await browser.submitForm(page, /\/login$/, { email: user.email, password: user.password }, server.url);
    } else if (html.includes('id="totp-secret"')) {
      seen.enrol = true;
      seen.secret = /id="totp-secret"[^>]*>([A-Z2-7 ]+)</.exec(html)![1]!.replaceAll(' ', '');
      step = await browser.submitForm(page, /\/mfa\/enrol$/, { code: await codeFor(seen.secret) }, server.url);
    } else if (html.includes('id="recovery-codes"')) {
      seen.recoveryCodes = [...html.matchAll(/<code>([a-z0-9-]+)<\/code>/g)].map((m) => m[1]!);
      step = await browser.submitForm(page, /\/mfa\/done$/, {}, server.url);
    } else if (html.includes('/mfa"')) {
      seen.mfa = true;
      step = await browser.submitForm(page, /\/mfa$/, { code: await second(seen) }, server.url);
      if (step.response?.status === 401) return { seen, rejected: true as const };
    } else if (html.includes('/confirm"')) {
      step = await browser.submitForm(page, /\/confirm$/, {}, server.url);
    } else {
      throw new Error(`unexpected page: ${html.slice(0, 300)}`);
    }
  }
  const code = step.leftTo!.searchParams.get('code')!;
  const tokens = await tokenRequest(
    server,
    { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI, ...options.tokenParams },
    { id: client.clientId, secret: client.clientSecret },
  );
  return { seen, rejected: false as const, idToken: decodeJwt(String(tokens.body.id_token)), tokens: tokens.body };
}

