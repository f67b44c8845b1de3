import type { OperationSpec } from '../operation-spec.ts';
import { record, table } from '../output.ts';

interface Idp {
  name: string;
  displayName: string;
  issuer: string;
  domains: string[];
  jit: boolean;
  enabled: boolean;
  callbackUrl: string;
  publicJwk: Record<string, unknown> | null;
}

const NAME = { name: 'NAME', field: 'name', description: 'The identity provider’s short name.' } as const;
const SECRET = {
  field: 'clientSecret',
  flag: 'client-secret-stdin',
  prompt: 'Client secret: ',
  description: 'Read the client secret the upstream issued from stdin (without it: a prompt on a terminal). Never an argument.',
} as const;

const shown = (verb: string) => (result: unknown) => {
  const idp = result as Idp;
  const key = idp.publicJwk ? `\nregister this public key at the upstream (private_key_jwt): ${JSON.stringify(idp.publicJwk)}` : '';
  return `${verb} identity provider ${idp.name} (${idp.issuer})\nregister this redirect URI at the upstream: ${idp.callbackUrl}${key}`;
};

export const idpCommands: Record<string, OperationSpec> = {
  listIdps: {
    command: 'idp list',
    paginate: true,
    examples: ['gatehouse idp list', 'gatehouse idp list --json'],
    show: (idps) =>
      table(idps as Idp[], { name: (i) => i.name, issuer: (i) => i.issuer, domains: (i) => i.domains, jit: (i) => i.jit, enabled: (i) => i.enabled, callback: (i) => i.callbackUrl }),
  },
  createIdp: {
    command: 'idp create',
    flags: { domains: { description: 'Allowed email domains (comma-separated); also where home-realm discovery sends an address.' } },
    secret: SECRET,
    examples: [
      "printf '%s' \"$SECRET\" | gatehouse idp create --name acme --issuer https://login.acme.com --client-id X --client-secret-stdin --domains acme.com --jit",
      "printf '%s' \"$SECRET\" | gatehouse idp create --name google --preset google --client-id X --client-secret-stdin --domains acme.com --trusted-for-domains",
      'gatehouse idp create --name acme --issuer https://login.acme.com --client-id X --group-roles \'{"platform-admins":["admin"]}\'   # prompts for the secret',
    ],
    show: shown('created'),
  },
  getIdp: { command: 'idp show', args: [NAME], examples: ['gatehouse idp show acme'], show: record },
  updateIdp: {
    command: 'idp update',
    args: [NAME],
    secret: { ...SECRET, optional: true, description: 'Read a new client secret from stdin (leave the flag out to keep the current one).' },
    examples: ['gatehouse idp update acme --domains acme.com,acme.co.uk', "printf '%s' \"$NEW_SECRET\" | gatehouse idp update acme --client-secret-stdin"],
    show: shown('updated'),
  },
  deleteIdp: {
    command: 'idp delete',
    args: [NAME],
    examples: ['gatehouse idp delete acme'],
    show: (_, { args }) => `deleted identity provider ${args.NAME} and every link to it`,
  },
};
