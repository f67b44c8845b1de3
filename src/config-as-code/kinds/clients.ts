/**
 * Clients, keyed by a client id the file chooses (so apps can be configured with it). Secrets are
 * never in the file: `secret: { env: NAME }` or `{ file: PATH }` names where the value is, or,
 * with neither, a confidential client gets a generated secret printed once, when it is created.
 */
import { z } from 'zod';
import { BUILT_IN_CLIENT_IDS, chosenClientIdSchema, clientSettingsSchema } from '../../clients/index.ts';
import { segment } from '../admin-client.ts';
import { type Kind, withoutDefaults } from '../kind.ts';

const seconds = z.number().int().min(0).max(7 * 86_400);
export const secretReferenceSchema = z
  .union([
    z.object({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).describe('An environment variable holding the secret.'), overlapSeconds: seconds.optional() }).strict(),
    z.object({ file: z.string().min(1).describe('A file holding the secret (a mounted Kubernetes or Docker secret).'), overlapSeconds: seconds.optional() }).strict(),
  ])
  .describe(
    'Where the client secret is: never the secret itself. When the value there changes, apply rotates to it; the previous secret keeps working for overlapSeconds (default 0).',
  );

const entry = clientSettingsSchema
  .extend({
    clientId: chosenClientIdSchema.describe('The client id apps are configured with.'),
    secret: secretReferenceSchema.optional(),
  })
  .strict();
type ClientEntry = ReturnType<typeof entry.parse>;

interface ClientSummary extends Record<string, unknown> {
  clientId: string;
  type: 'public' | 'confidential';
  tokenEndpointAuthMethod: string;
  dynamic: boolean;
}

const defaultAuthMethod = (type: string) => (type === 'public' ? 'none' : 'client_secret_basic');
const usesSecret = (method: string) => method === 'client_secret_basic' || method === 'client_secret_post';

/** The admin API's answer as a file entry (absent values left out, so the schema's defaults apply). */
function fromSummary(client: ClientSummary): ClientEntry {
  const present = Object.fromEntries(Object.entries(client).filter(([name, value]) => value !== null && name in entry.shape && name !== 'secret'));
  const parsed = entry.safeParse(present);
  // A client stored before today's rules (an import) is still shown and compared as it is.
  return parsed.success ? parsed.data : (present as ClientEntry);
}

/** What the admin API's create/replace body takes. */
function settingsOf(desired: ClientEntry) {
  const { clientId: _clientId, secret: _secret, ...settings } = desired;
  return settings;
}


export const clientKind: Kind<ClientEntry> = {
  key: 'clients',
  label: 'client',
  entry,
  description: 'OAuth clients, by client id. Secrets are referenced (env or file) or generated once; never written in the file.',
  idOf: (client) => client.clientId,
  comparable: (client) => ({ ...settingsOf(client), tokenEndpointAuthMethod: client.tokenEndpointAuthMethod ?? defaultAuthMethod(client.type) }),
  setFields: ['grantTypes', 'redirectUris', 'postLogoutRedirectUris', 'scopes', 'resources', 'allowedCorsOrigins'],
  async current({ admin }) {
    const clients = await admin.list<ClientSummary>('/clients');
    // The account pages' own client and clients that registered themselves (RFC 7591) are not the file's to manage.
    return clients.filter((client) => !BUILT_IN_CLIENT_IDS.has(client.clientId) && !client.dynamic).map((client) => ({ id: client.clientId, entry: fromSummary(client) }));
  },
  /** The comparison proper is of `comparable`; a referenced secret is compared by asking the server. */
  async extraDifferences(desired, current, { admin, resolveSecret }) {
    const method = desired.tokenEndpointAuthMethod ?? defaultAuthMethod(desired.type);
    if (!desired.secret || !usesSecret(method)) return [];
    const currentMethod = current.entry.tokenEndpointAuthMethod ?? defaultAuthMethod(current.entry.type);
    if (!usesSecret(currentMethod)) return ['secret'];
    const { matches } = await admin.call<{ matches: boolean }>('POST', `/clients/${segment(current.id)}/secret/check`, {
      clientSecret: await resolveSecret(desired.secret),
    });
    return matches ? [] : ['secret'];
  },
  async create(desired, { admin, resolveSecret }) {
    const clientSecret = desired.secret ? await resolveSecret(desired.secret) : undefined;
    const created = await admin.call<{ clientSecret?: string }>('POST', '/clients', {
      ...settingsOf(desired),
      clientId: desired.clientId,
      ...(clientSecret ? { clientSecret } : {}),
    });
    return created.clientSecret ? [`client ${desired.clientId}: client_secret ${created.clientSecret} (shown once: store it now; only its digest is kept)`] : [];
  },
  async update(desired, current, fields, { admin, resolveSecret }) {
    const lines: string[] = [];
    if (fields.some((field) => field !== 'secret')) {
      const replaced = await admin.call<{ clientSecret?: string }>('PUT', `/clients/${segment(current.id)}`, settingsOf(desired));
      // A client that starts needing a secret gets one from the server, unless the file names one.
      if (replaced.clientSecret && !desired.secret) {
        lines.push(`client ${current.id}: client_secret ${replaced.clientSecret} (shown once: store it now; only its digest is kept)`);
      }
    }
    if (desired.secret && (fields.includes('secret') || fields.includes('type') || fields.includes('tokenEndpointAuthMethod'))) {
      await admin.call('POST', `/clients/${segment(current.id)}/secret`, {
        clientSecret: await resolveSecret(desired.secret),
        overlapSeconds: desired.secret.overlapSeconds ?? 0,
      });
    }
    return lines;
  },
  async remove(id, { admin }) {
    await admin.call('DELETE', `/clients/${segment(id)}`);
  },
  exported: (client) => {
    const auth = client.tokenEndpointAuthMethod === defaultAuthMethod(client.type) ? undefined : client.tokenEndpointAuthMethod;
    const { clientId, ...settings } = client;
    return withoutDefaults({ clientId, ...settings, tokenEndpointAuthMethod: auth }, ['clientId', 'name', 'type', 'grantTypes']);
  },
};
