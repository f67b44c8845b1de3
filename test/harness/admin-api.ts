/**
 * A client for /admin/v1 that checks every request and response it makes against the server's
 * own OpenAPI document (served at /admin/v1/openapi.json), with Ajv in JSON Schema 2020-12 mode.
 * A test that talks to the admin API through it cannot pass with an undocumented answer.
 */
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { adminAudience } from '../../src/admin/index.ts';
import { tokenRequest } from './fixtures.ts';
import type { TestServer } from './server.ts';

type OpenApi = { paths: Record<string, Record<string, Operation>> };
interface Operation {
  operationId: string;
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, { content?: Record<string, unknown> }>;
}

export interface AdminExchange {
  status: number;
  body: unknown;
  headers: Headers;
}

const pointer = (...segments: string[]) => segments.map((s) => s.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

export async function openAdminApi(server: TestServer) {
  const document = (await (await fetch(`${server.url}/admin/v1/openapi.json`)).json()) as OpenApi;
  const documentCheck = await new Validator().validate(document as never);
  assert.equal(documentCheck.valid, true, `the OpenAPI document is valid 3.1: ${JSON.stringify(documentCheck.errors)}`);

  const ajv = new Ajv2020({ strict: false, allErrors: true });
  (addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
  ajv.addSchema(document, 'openapi');
  const exercised = new Set<string>();
  const templates = Object.entries(document.paths).flatMap(([template, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({
      template,
      method,
      operation,
      pattern: new RegExp(`^${template.replaceAll(/\{[^}]+\}/g, '[^/]+')}$`),
    })),
  );

  function validate(where: string, ref: string, value: unknown) {
    const check = ajv.getSchema(`openapi#/${ref}`) ?? ajv.compile({ $ref: `openapi#/${ref}` });
    assert.ok(check(value), `${where} does not match the OpenAPI document: ${ajv.errorsText(check.errors)}\n${JSON.stringify(value)}`);
  }

  async function call(method: string, path: string, options: { token?: string | undefined; body?: unknown; rawBody?: string; contentType?: string } = {}): Promise<AdminExchange> {
    const pathOnly = path.split('?')[0] ?? path;
    const match = templates.find((t) => t.method === method.toLowerCase() && t.pattern.test(pathOnly));
    assert.ok(match, `${method} ${pathOnly} is documented`);
    exercised.add(match.operation.operationId);
    const base = pointer('paths', match.template, match.method);
    if (options.body !== undefined) validate(`request ${method} ${path}`, `${base}/${pointer('requestBody', 'content', 'application/json', 'schema')}`, options.body);

    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const payload = options.rawBody ?? (options.body !== undefined ? JSON.stringify(options.body) : undefined);
    if (payload !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    // Upper-case: fetch normalises every method but PATCH, which Node's parser refuses in lower case.
    const response = await fetch(`${server.url}/admin/v1${path}`, { method: method.toUpperCase(), headers, ...(payload !== undefined ? { body: payload } : {}) });
    const text = await response.text();
    const contentType = (response.headers.get('content-type') ?? '').split(';')[0] ?? '';
    const body = text ? JSON.parse(text) : undefined;

    const documented = match.operation.responses[String(response.status)];
    assert.ok(documented, `${method} ${path} answered ${response.status}, which the document does not list: ${text}`);
    if (documented.content) {
      assert.ok(contentType in documented.content, `${method} ${path} ${response.status} content type ${contentType} is documented`);
      validate(`response ${response.status} of ${method} ${path}`, `${base}/${pointer('responses', String(response.status), 'content', contentType, 'schema')}`, body);
    } else {
      assert.equal(text, '', `${method} ${path} ${response.status} has no documented body`);
    }
    return { status: response.status, body, headers: response.headers };
  }

  return {
    document,
    call,
    operations: templates,
    /** Operation ids no test called. */
    unexercised: () => templates.map((t) => t.operation.operationId).filter((id) => !exercised.has(id)),
  };
}

/** A machine client granted the given admin scopes, and a token for it. */
export async function adminToken(server: TestServer, scopes: string[]): Promise<string> {
  const { client, clientSecret } = await server.gatehouse.services.clients.create({
    name: `admin ${scopes.join(' ') || 'no scope'}`,
    type: 'confidential',
    grantTypes: ['client_credentials'],
    resources: [adminAudience(server.url)],
    scopes,
  });
  const response = await tokenRequest(
    server,
    { grant_type: 'client_credentials', resource: adminAudience(server.url), ...(scopes.length ? { scope: scopes.join(' ') } : {}) },
    { id: client.clientId, secret: clientSecret ?? '' },
  );
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return String(response.body.access_token);
}
