import type { OperationSpec } from '../operation-spec.ts';
import { record, table } from '../output.ts';

interface Api {
  identifier: string;
  name: string;
  scopes: Array<{ name: string }>;
  claims: string[];
  signingAlg: string;
}

const IDENTIFIER = { name: 'IDENTIFIER', field: 'identifier', description: 'The API’s identifier (its URL).' } as const;

/** `--scopes a,b`: scope names; each scope's description is its name until the API is updated. */
const API_FLAGS = {
  scopes: {
    fromList: (names: string[]) => names.map((name) => ({ name, description: name })),
    description: 'The scopes clients may ask for (comma-separated names).',
  },
  accessTokenTtl: { duration: true, description: 'Access-token lifetime for this API (e.g. 600 or 10m); default: the server’s.' },
};

export const apiCommands: Record<string, OperationSpec> = {
  listApis: {
    command: 'apis list',
    paginate: true,
    examples: ['gatehouse apis list'],
    show: (apis) =>
      table(apis as Api[], {
        identifier: (a) => a.identifier,
        name: (a) => a.name,
        scopes: (a) => a.scopes.map((s) => s.name).join(' '),
        claims: (a) => a.claims,
        alg: (a) => a.signingAlg,
      }),
  },
  createApi: {
    command: 'apis create',
    flags: API_FLAGS,
    examples: [
      'gatehouse apis create --identifier https://api.example.com --name "Example API" --scopes invoices:read',
      'gatehouse apis create --identifier https://orders.example.com --name Orders --scopes orders:read --claims roles,groups',
    ],
    show: (api) => `created API ${(api as Api).identifier}`,
  },
  getApi: {
    command: 'apis show',
    args: [IDENTIFIER],
    examples: ['gatehouse apis show https://api.example.com'],
    show: record,
  },
  updateApi: {
    command: 'apis update',
    args: [IDENTIFIER],
    flags: API_FLAGS,
    examples: ['gatehouse apis update https://api.example.com --scopes invoices:read,invoices:write --access-token-ttl 5m'],
    show: (api) => `updated API ${(api as Api).identifier}`,
  },
  deleteApi: {
    command: 'apis delete',
    args: [IDENTIFIER],
    examples: ['gatehouse apis delete https://api.example.com'],
    show: (_, { args }) => `deleted API ${args.IDENTIFIER} and its roles`,
  },
  issueApiCredentials: {
    command: 'apis credentials',
    args: [IDENTIFIER],
    note: 'New credentials replace the API’s old ones at once. Point the API at ISSUER/token/introspection (RFC 7662).',
    examples: [
      'gatehouse apis credentials https://api.example.com',
      'gatehouse apis credentials https://api.example.com --json | jq -r .clientSecret',
      'gatehouse apis credentials https://api.example.com --method private_key_jwt --jwks-uri https://api.example.com/jwks.json',
    ],
    show: (result) => {
      const { clientId, clientSecret, method } = result as { clientId: string; clientSecret?: string; method: string };
      return [
        `client_id:     ${clientId}`,
        ...(clientSecret ? [`client_secret: ${clientSecret}`, '(shown once: store it now; only its digest is kept)'] : []),
        `authenticates with ${method} at the introspection endpoint`,
      ].join('\n');
    },
  },
  removeApiCredentials: {
    command: 'apis remove-credentials',
    args: [IDENTIFIER],
    examples: ['gatehouse apis remove-credentials https://api.example.com'],
    show: (_, { args }) => `the API ${args.IDENTIFIER} can no longer introspect`,
  },
};
