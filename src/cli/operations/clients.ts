import type { OperationSpec } from '../operation-spec.ts';
import { record, table } from '../output.ts';

interface Client {
  clientId: string;
  name: string;
  type: string;
  grantTypes: string[];
}

const CLIENT_ID = { name: 'CLIENT_ID', field: 'clientId', description: 'The client’s id.' } as const;

/** README-era flag names of the client settings, and durations for lifetimes. */
const SETTINGS_FLAGS = {
  tokenEndpointAuthMethod: { flag: 'auth-method' },
  idTokenSigningAlg: { flag: 'id-token-alg' },
  allowedCorsOrigins: { flag: 'cors-origins' },
  accessTokenTtl: { duration: true, description: 'Shorter access-token lifetime for this client (e.g. 5m); never longer than the server’s or the API’s.' },
  refreshTokenTtl: { duration: true, description: 'Shorter refresh-token lifetime for this client (e.g. 30d).' },
};

const shownOnce = (secret: string) => [`client_secret: ${secret}`, '(shown once: store it now; only its digest is kept)'];

function showCreated(result: unknown): string {
  const { client, clientSecret } = result as { client: Client; clientSecret?: string };
  return [`client_id:     ${client.clientId}`, ...(clientSecret ? shownOnce(clientSecret) : [])].join('\n');
}

export const clientCommands: Record<string, OperationSpec> = {
  listClients: {
    command: 'clients list',
    paginate: true,
    examples: ['gatehouse clients list', 'gatehouse clients list --json | jq -r ".[].clientId"'],
    show: (clients) =>
      table(clients as Client[], { client_id: (c) => c.clientId, name: (c) => c.name, type: (c) => c.type, grants: (c) => c.grantTypes }),
  },
  createClient: {
    command: 'clients create',
    flags: SETTINGS_FLAGS,
    // A secret never comes from argv (shell history, `ps`); configuration as code supplies one through the API.
    hide: ['clientSecret'],
    examples: [
      'gatehouse clients create --name "My app" --type public --grant-types authorization_code,refresh_token \\\n    --redirect-uris http://127.0.0.1:8080/callback --scopes openid,email,offline_access',
      'gatehouse clients create --name billing --type confidential --grant-types client_credentials \\\n    --resources https://api.example.com --scopes invoices:read --json | jq -r .clientSecret',
      'gatehouse clients create --name "Deploy CLI" --type public --first-party \\\n    --grant-types urn:ietf:params:oauth:grant-type:device_code,refresh_token --scopes openid,offline_access',
    ],
    show: showCreated,
  },
  getClient: {
    command: 'clients show',
    args: [CLIENT_ID],
    examples: ['gatehouse clients show CLIENT_ID'],
    show: record,
  },
  updateClient: {
    command: 'clients replace',
    args: [CLIENT_ID],
    flags: SETTINGS_FLAGS,
    note: 'Every setting is replaced: a flag left out takes its default. The secret is kept.',
    examples: ['gatehouse clients replace CLIENT_ID --name billing --type confidential --grant-types client_credentials \\\n    --resources https://api.example.com --scopes invoices:read,invoices:write'],
    show: (result) => {
      const { client, clientSecret } = result as { client: Client; clientSecret?: string };
      return [`replaced the settings of ${client.clientId}`, ...(clientSecret ? shownOnce(clientSecret) : [])].join('\n');
    },
  },
  deleteClient: {
    command: 'clients delete',
    args: [CLIENT_ID],
    examples: ['gatehouse clients delete CLIENT_ID'],
    show: (_, { args }) => `deleted client ${args.CLIENT_ID}`,
  },
  rotateClientSecret: {
    command: 'clients rotate-secret',
    args: [CLIENT_ID],
    flags: { overlapSeconds: { flag: 'overlap', duration: true, description: 'How long the previous secret keeps working (e.g. 24h; 0 ends it now; at most 7d).' } },
    hide: ['clientSecret'],
    examples: ['gatehouse clients rotate-secret CLIENT_ID --overlap 24h', 'gatehouse clients rotate-secret CLIENT_ID --overlap 0 --json | jq -r .clientSecret'],
    show: (result) => {
      const { clientSecret, previousSecretExpiresAt } = result as { clientSecret?: string; previousSecretExpiresAt: number | null };
      return [
        ...(clientSecret ? shownOnce(clientSecret) : []),
        previousSecretExpiresAt
          ? `the previous secret keeps working until ${new Date(previousSecretExpiresAt * 1000).toISOString()}`
          : 'the previous secret no longer works',
      ].join('\n');
    },
  },
  checkClientSecret: {
    command: 'clients check-secret',
    args: [CLIENT_ID],
    secret: { field: 'clientSecret', flag: 'secret-stdin', prompt: 'Client secret: ', description: 'Read the secret from stdin.' },
    examples: ["printf '%s' \"$SECRET\" | gatehouse clients check-secret CLIENT_ID --secret-stdin"],
    show: (result) => ((result as { matches: boolean }).matches ? 'the secret matches' : 'the secret does not match'),
    exitCode: (result) => ((result as { matches: boolean }).matches ? 0 : 1),
  },
};
