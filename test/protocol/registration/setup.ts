/** Shared setup of the dynamic client registration tests: a trusted statement issuer and HTTP helpers. */
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { RegistrationPolicyInput } from '../../../src/registration/index.ts';
import type { TestServer } from '../../harness/server.ts';

export const STATEMENT_ISSUER = 'https://software-publisher.example.test';

/** A software-statement signer (ES256) whose public JWKS is configured inline as trusted. */
export async function statementIssuer() {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'publisher-1', alg: 'ES256' };
  const sign = (claims: Record<string, unknown>, key: CryptoKey = privateKey, iss = STATEMENT_ISSUER) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'publisher-1' }).setIssuer(iss).setIssuedAt().sign(key);
  return { env: { GATEHOUSE_DCR_SOFTWARE_STATEMENT_ISSUERS: JSON.stringify({ [STATEMENT_ISSUER]: { keys: [jwk] } }) }, sign };
}

export const DCR_ENV = { GATEHOUSE_DCR_ENABLED: 'true', GATEHOUSE_TRUST_PROXY: 'true' };

let ipCounter = 0;
/** A fresh client IP per call (the server trusts X-Forwarded-For), so the per-IP limit stays out of the way. */
export const freshIp = () => {
  ipCounter += 1;
  return `10.77.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
};

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export async function call(
  server: TestServer,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; rawBody?: string; contentType?: string; ip?: string } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = { 'x-forwarded-for': options.ip ?? freshIp() };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  const response = await fetch(`${server.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    parsed = { __text: text.slice(0, 300) };
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

export const register = (server: TestServer, token: string | undefined, body: unknown, ip?: string) =>
  call(server, 'POST', '/register', { ...(token ? { token } : {}), body, ...(ip ? { ip } : {}) });

export async function mint(server: TestServer, policy: RegistrationPolicyInput = {}, quota = 5, expiresIn = 3600) {
  return server.gatehouse.services.registration.mintInitialAccessToken({
    expiresIn,
    quota,
    policy: { redirectUriHosts: ['127.0.0.1'], scopes: ['openid', 'email', 'profile'], ...policy },
  });
}

/** Audit events of `type`, after the buffered trail has been written. */
export async function auditEvents(server: TestServer, type: string): Promise<Array<Record<string, unknown>>> {
  await server.gatehouse.services.audit.flush();
  return server.gatehouse.storage.db('audit_events').where({ type }).select('*');
}
