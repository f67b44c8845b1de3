/**
 * The OpenAPI 3.1 document of the admin API, built from the same route records and zod schemas
 * the router validates with (OpenAPI 3.1 schemas are JSON Schema 2020-12, which zod emits).
 */
import { z } from 'zod';
import { ADMIN_READ_SCOPE, ADMIN_WRITE_SCOPE, adminAudience } from './auth.ts';
import { type AdminRoute, problemSchema } from './route.ts';

type JsonSchema = Record<string, unknown>;

const ERROR_RESPONSES: Record<number, string> = {
  400: 'Malformed input (each problem listed in `errors`)',
  401: 'No valid bearer token',
  403: 'The token lacks the scope or role this call needs',
  404: 'No such resource',
  409: 'Conflicts with an existing resource',
  413: 'Body too large',
  415: 'Body is not application/json',
  429: 'Rate limited',
  503: 'A store is temporarily unavailable',
};

export function buildOpenApiDocument(routes: readonly AdminRoute[], options: { issuer: string; version: string }): JsonSchema {
  const components: Record<string, JsonSchema> = {};
  /** zod's `$defs` become shared components; request-side variants get an `Input` suffix. */
  const toSchema = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
    const suffix = io === 'input' ? 'Input' : '';
    const { $defs, $schema: _dialect, ...root } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema & {
      $defs?: Record<string, JsonSchema>;
    };
    const relink = (value: JsonSchema) =>
      JSON.parse(JSON.stringify(value).replaceAll(/"#\/\$defs\/([A-Za-z0-9_]+)"/g, `"#/components/schemas/$1${suffix}"`)) as JsonSchema;
    for (const [id, definition] of Object.entries($defs ?? {})) components[`${id}${suffix}`] = relink(definition);
    return relink(root);
  };

  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const parameters = [
      ...parametersOf(route.params, 'path', toSchema),
      ...parametersOf(route.query, 'query', toSchema),
    ];
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(route.responses)) {
      responses[status] = {
        description: response.description,
        ...(response.schema ? { content: { 'application/json': { schema: toSchema(response.schema, 'output') } } } : {}),
      };
    }
    for (const [status, description] of Object.entries(ERROR_RESPONSES)) {
      responses[status] = { description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
    }
    paths[route.path] ??= {};
    paths[route.path]![route.method] = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      security: [{ adminToken: [route.method === 'get' ? ADMIN_READ_SCOPE : ADMIN_WRITE_SCOPE] }],
      ...(parameters.length ? { parameters } : {}),
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: toSchema(route.body, 'input') } } } } : {}),
      responses,
    };
  }
  toSchema(problemSchema, 'output');

  return {
    openapi: '3.1.0',
    info: {
      title: 'Gatehouse admin API',
      version: options.version,
      description:
        'Manage users, clients, APIs, sessions, keys and the audit trail. Authenticate with a bearer access token for the ' +
        `resource ${adminAudience(options.issuer)}: \`${ADMIN_READ_SCOPE}\` for reads, \`${ADMIN_WRITE_SCOPE}\` for everything. ` +
        'Tokens issued to people also need the admin role and a second factor.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: adminAudience(options.issuer) }],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        adminToken: {
          type: 'oauth2',
          description: `JWT access token (RFC 9068) with audience ${adminAudience(options.issuer)}.`,
          flows: {
            clientCredentials: {
              tokenUrl: `${options.issuer}/token`,
              scopes: { [ADMIN_READ_SCOPE]: 'Read everything', [ADMIN_WRITE_SCOPE]: 'Read and change everything' },
            },
          },
        },
      },
    },
  };
}

function parametersOf(schema: z.ZodObject | undefined, location: 'path' | 'query', toSchema: (schema: z.ZodType, io: 'input') => JsonSchema) {
  if (!schema) return [];
  const json = toSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...propertySchema } = property;
    return {
      name,
      in: location,
      required: location === 'path' || (json.required ?? []).includes(name),
      ...(description ? { description } : {}),
      schema: propertySchema,
    };
  });
}
