/**
 * The device flow as a CLI and a person meet it: the CLI asks /device/auth for a code and polls
 * /token; the person types the code on /device in a browser (test/harness/browser.ts), signs in
 * through the ordinary pages and approves or denies.
 */
import type { NewClient } from '../../../src/clients/index.ts';
import { DEVICE_CODE_GRANT } from '../../../src/clients/index.ts';
import { Browser } from '../../harness/browser.ts';
import { codeFor } from '../../harness/mfa-flow.ts';
import type { TestServer } from '../../harness/server.ts';

export interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

/** A public "native CLI" client registered for the device grant (and refresh). */
export async function createCliClient(server: TestServer, overrides: Partial<NewClient> = {}) {
  const { client } = await server.gatehouse.services.clients.create({
    name: 'Deploy CLI',
    type: 'public',
    grantTypes: [DEVICE_CODE_GRANT, 'refresh_token'],
    scopes: ['openid', 'email', 'offline_access'],
    firstParty: true,
    ...overrides,
  });
  return client.clientId;
}

const form = (body: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(body),
});

export async function requestDeviceCode(server: TestServer, body: Record<string, string>) {
  const response = await fetch(`${server.url}/device/auth`, form(body));
  return { status: response.status, body: (await response.json()) as DeviceAuthorization & { error?: string; error_description?: string } };
}

export async function poll(server: TestServer, clientId: string, deviceCode: string) {
  const response = await fetch(`${server.url}/token`, form({ grant_type: DEVICE_CODE_GRANT, device_code: deviceCode, client_id: clientId }));
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

interface Form {
  action: string;
  fields: Record<string, string>;
}

/** Every form of a page with its hidden fields, in page order. */
export function formsOf(html: string): Form[] {
  return [...html.matchAll(/<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)].map((match) => ({
    action: match[1]!.replaceAll('&amp;', '&'),
    fields: Object.fromEntries([...(match[2] ?? '').matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!])),
  }));
}

export async function submit(browser: Browser, server: TestServer, target: Form, fields: Record<string, string> = {}) {
  const result = await browser.follow(new URL(target.action, server.url), server.url, form({ ...target.fields, ...fields }));
  if (!result.response) throw new Error(`left Gatehouse for ${result.leftTo}`);
  return { status: result.response.status, html: await result.response.text() };
}

/** Opens /device and types `userCode`: the page that follows (the confirmation, or the form with its error). */
export async function typeUserCode(server: TestServer, browser: Browser, userCode: string) {
  const page = await browser.request(`${server.url}/device`);
  const entry = formsOf(await page.text())[0];
  if (!entry) throw new Error('no code form on /device');
  return submit(browser, server, entry, { user_code: userCode });
}

export interface PersonOptions {
  browser?: Browser;
  decision?: 'approve' | 'deny';
  /** The TOTP secret of an enrolled user, or collects the one shown at enrolment. */
  totp?: { secret?: string };
}

/**
 * A person on /device: types the code, approves (or denies) what the confirmation shows, signs in
 * with a second factor when asked (enrolling when the policy forces it), consents when asked.
 * Returns the last page and what was seen on the way.
 */
export async function personOnDevicePage(server: TestServer, userCode: string, user: { email: string; password: string }, options: PersonOptions = {}) {
  const browser = options.browser ?? new Browser();
  const seen = { confirm: '', login: false, mfa: false, enrol: false, consent: false };
  let page = await typeUserCode(server, browser, userCode);
  for (let step = 0; step < 10; step += 1) {
    const forms = formsOf(page.html);
    const byAction = (pattern: RegExp) => forms.find((f) => pattern.test(new URL(f.action, server.url).pathname));
    if (forms.some((f) => f.fields.confirm === 'yes')) {
      seen.confirm = page.html;
      const choice = forms.find((f) => (options.decision === 'deny' ? f.fields.abort === 'yes' : f.fields.confirm === 'yes'))!;
      page = await submit(browser, server, choice);
    } else if (byAction(/\/login$/)) {
      seen.login = true;
      page = await submit(browser, server, byAction(/\/login$/)!, { email: user.email, password: user.password });
    } else if (page.html.includes('id="totp-secret"')) {
      seen.enrol = true;
      const secret = /id="totp-secret"[^>]*>([A-Z2-7 ]+)</.exec(page.html)![1]!.replaceAll(" ", "");
      if (options.totp) options.totp.secret = secret;
      page = await submit(browser, server, byAction(/\/mfa\/enrol$/)!, { code: await codeFor(secret) });
    } else if (page.html.includes('id="recovery-codes"')) {
      page = await submit(browser, server, byAction(/\/mfa\/done$/)!);
    } else if (byAction(/\/mfa$/)) {
      seen.mfa = true;
      if (!options.totp?.secret) return { page, seen, browser };
      page = await submit(browser, server, byAction(/\/mfa$/)!, { code: await codeFor(options.totp.secret, 1) });
    } else if (byAction(/\/confirm$/)) {
      seen.consent = true;
      page = await submit(browser, server, byAction(/\/confirm$/)!);
    } else {
      return { page, seen, browser };
    }
  }
  throw new Error('the device flow did not finish in 10 pages');
}
