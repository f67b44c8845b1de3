/**
 * Passkey ceremonies over HTTP as a browser makes them, answered by a software authenticator
 * (soft-authenticator.ts): enrol on /account, then sign in (password + passkey, or passwordless).
 * Shared by the interaction tests and the admin tests.
 */
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { Browser } from './browser.ts';
import { authorizationRequestUrl } from './fixtures.ts';
import { codeFor } from './mfa-flow.ts';
import type { TestServer } from './server.ts';
import { SoftAuthenticator } from './soft-authenticator.ts';

export const csrfIn = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)![1]!;

export function passkeyFlow(server: TestServer, client: { clientId: string }) {
  const rpId = new URL(server.url).hostname;
  const post = (browser: Browser, path: string, fields: Record<string, string>) =>
    browser.request(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields) });

  /** On /account (signed in as `browser`): the registration ceremony for `authenticator`. */
  async function add(browser: Browser, csrf: string, authenticator: SoftAuthenticator, name = 'Laptop') {
    const options = (await (await post(browser, '/account/passkeys/options', { csrf })).json()) as { challenge: string; user: { id: string }; rp: { id: string } };
    assert.equal(options.rp.id, rpId, 'the RP ID is the issuer host');
    const response = authenticator.register({ challenge: options.challenge, origin: server.url, rpId, userHandle: options.user.id });
    const added = await post(browser, '/account/passkeys', { csrf, name, response: JSON.stringify(response) });
    assert.equal(added.status, 200, await added.clone().text());
  }

  /** Signs in to /account with the password and adds a passkey made by `authenticator` (the registration ceremony over HTTP). */
  async function enrol(user: { email: string; password: string }, authenticator = new SoftAuthenticator(), totpSecret?: string) {
    const browser = new Browser();
    let step = await browser.follow(`${server.url}/account`, server.url);
    for (let i = 0; i < 4; i += 1) {
      const html = await step.response!.text();
      if (totpSecret && html.includes('/mfa" novalidate')) {
        step = await browser.submitForm({ url: server.url, html }, /\/mfa$/, { code: await codeFor(totpSecret, 1) }, server.url);
        continue;
      }
      if (!html.includes('/login"')) {
        assert.match(html, /id="passkeys"/);
        await add(browser, csrfIn(html), authenticator);
        return { authenticator, browser };
      }
      step = await browser.submitForm({ url: server.url, html }, /\/login$/, { email: user.email, password: user.password }, server.url);
    }
    throw new Error('never reached the account page');
  }

  /** An authorization request in `browser`, up to its login page: the interaction uid and CSRF token. */
  async function startSignIn(browser: Browser, extra: Record<string, string> = {}, clientId = client.clientId) {
    const verifier = oidc.randomPKCECodeVerifier();
    const url = await authorizationRequestUrl(server.url, clientId, verifier, { scope: 'openid', prompt: 'login', ...extra });
    const step = await browser.follow(url, server.url);
    const html = await step.response!.text();
    const uid = /action="\/interaction\/([^/]+)\/login"/.exec(html)![1]!;
    return { uid, csrf: csrfIn(html), verifier, html };
  }

  async function password(browser: Browser, signIn: { uid: string; html: string }, user: { email: string; password: string }) {
    const step = await browser.submitForm({ url: server.url, html: signIn.html }, /\/login$/, { email: user.email, password: user.password }, server.url);
    return { status: step.response!.status, html: await step.response!.text() };
  }

  async function challengeFor(browser: Browser, uid: string, csrf: string) {
    return (await (await post(browser, `/interaction/${uid}/passkey/options`, { csrf })).json()) as { challenge: string; allowCredentials?: Array<{ id: string }> };
  }

  /** Posts an assertion; the outcome as the browser sees it (the client's callback, or a page). */
  async function submit(browser: Browser, uid: string, csrf: string, response: unknown): Promise<{ callback: URL; status?: undefined; html?: undefined } | { callback?: undefined; status: number; html: string }> {
    const step = await browser.follow(`${server.url}/interaction/${uid}/passkey`, server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, response: JSON.stringify(response) }),
    });
    if (step.leftTo) return { callback: step.leftTo };
    const html = await step.response!.text();
    // Consent, if asked, is given by following the confirm form.
    if (html.includes('/confirm"')) {
      const next = await browser.submitForm({ url: server.url, html }, /\/confirm$/, {}, server.url);
      return { callback: next.leftTo! };
    }
    return { status: step.response!.status, html };
  }

  return { rpId, post, add, enrol, startSignIn, password, challengeFor, submit };
}

export type PasskeyFlow = ReturnType<typeof passkeyFlow>;
